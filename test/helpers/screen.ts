import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { childEnv } from './cli.js';

const ESC = String.fromCharCode(27);
/** A control sequence: ESC [ parameters final-byte. */
const CSI = new RegExp(`^${ESC}\\[([0-9;?]*)([A-Za-z])`);

/**
 * What a terminal shows: the part of a VT100 a command line tool uses (printable text, \r, \n, \b, erase in line,
 * SGR ignored), with autowrap at `cols` counted, so a test can say "the status line never wrapped".
 */
export class Screen {
  lines: string[] = [''];
  row = 0;
  col = 0;
  /** Lines that reached the right margin and went on on the next row (as they were when they wrapped). */
  wrapped: string[] = [];
  /** Rows that continue the row above (a wrapped line). */
  private readonly continued = new Set<number>();
  /** Every state a line was in before the cursor left it or it was erased: what the user saw, frame by frame. */
  frames: string[] = [];
  private pendingWrap = false;

  constructor(readonly cols: number) {}

  write(text: string): void {
    for (let i = 0; i < text.length; i++) {
      const c = text[i]!;
      if (c === '\x1b') {
        const m = CSI.exec(text.slice(i));
        if (m) {
          if (m[2] === 'K') this.erase(m[1] === '2' ? 'all' : m[1] === '1' ? 'left' : 'right');
          i += m[0].length - 1;
        }
        continue;
      }
      if (c === '\r') {
        this.snap();
        this.col = 0;
        this.pendingWrap = false;
      } else if (c === '\n') {
        this.snap();
        this.newline();
      } else if (c === '\b') {
        this.col = Math.max(0, this.col - 1);
      } else if (c >= ' ') {
        if (this.pendingWrap) {
          this.wrapped.push(this.lines[this.row]!);
          this.newline();
          this.continued.add(this.row);
          this.col = 0;
        }
        const line = this.lines[this.row]!.padEnd(this.col, ' ');
        this.lines[this.row] = line.slice(0, this.col) + c + line.slice(this.col + 1);
        if (this.col === this.cols - 1) this.pendingWrap = true;
        else this.col++;
      }
    }
  }

  /** The screen's text, trailing spaces trimmed, empty lines at the end dropped. */
  get text(): string {
    return this.lines
      .map((l) => l.trimEnd())
      .join('\n')
      .replace(/\n+$/, '');
  }

  /** The text as lines were written: a wrapped line joined again. */
  get logical(): string {
    const out: string[] = [];
    this.lines.forEach((l, row) => {
      if (this.continued.has(row) && out.length > 0) out[out.length - 1] += l;
      else out.push(l);
    });
    return out
      .map((l) => l.trimEnd())
      .join('\n')
      .replace(/\n+$/, '');
  }

  private newline(): void {
    this.row++;
    this.pendingWrap = false;
    if (this.row >= this.lines.length) this.lines.push('');
  }

  private snap(): void {
    const l = this.lines[this.row]!.trimEnd();
    if (l && this.frames.at(-1) !== l) this.frames.push(l);
  }

  private erase(what: 'all' | 'left' | 'right'): void {
    this.snap();
    const line = this.lines[this.row]!;
    this.lines[this.row] =
      what === 'all'
        ? ''
        : what === 'left'
          ? ' '.repeat(this.col + 1) + line.slice(this.col + 1)
          : line.slice(0, this.col);
    this.pendingWrap = false;
  }
}

/** Whether script(1) can give a command a terminal here. */
export const haveScript = (): boolean => spawnSync('script', ['--version']).status === 0;

const quote = (s: string): string => `'${s.replace(/'/g, "'\\''")}'`;

export interface TerminalRun {
  child: ChildProcessWithoutNullStreams;
  screen: Screen;
  /** Resolves once the screen shows text matching `pattern`. */
  shows(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Type into the terminal (\x03 is Ctrl-C). */
  type(keys: string): void;
  exited: Promise<number | null>;
}

/** Run `argv` in a pseudo-terminal of `cols` × 24 (script(1), with stty), its output fed to a Screen. */
export function inTerminal(argv: string[], cols: number, env: Record<string, string | undefined> = {}): TerminalRun {
  const command = `stty cols ${cols} rows 24; exec ${argv.map(quote).join(' ')}`;
  const child = spawn('script', ['-qfec', command, '/dev/null'], { env: childEnv(env), stdio: 'pipe' });
  const screen = new Screen(cols);
  const waiters: { pattern: RegExp; done: () => void }[] = [];
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (d: string) => {
    screen.write(d);
    for (const w of [...waiters]) {
      if (w.pattern.test(screen.text) || screen.frames.some((f) => w.pattern.test(f))) {
        waiters.splice(waiters.indexOf(w), 1);
        w.done();
      }
    }
  });
  const exited = new Promise<number | null>((done) => child.on('close', (code) => done(code)));
  return {
    child,
    screen,
    exited,
    type: (keys) => child.stdin.write(keys),
    shows: (pattern, timeoutMs = 30_000) =>
      new Promise<void>((done, fail) => {
        if (pattern.test(screen.logical) || screen.frames.some((f) => pattern.test(f))) return done();
        const timer = setTimeout(
          () => fail(new Error(`the screen never showed ${pattern}:\n${screen.text}`)),
          timeoutMs,
        );
        waiters.push({
          pattern,
          done: () => {
            clearTimeout(timer);
            done();
          },
        });
        void exited.then(() => {
          clearTimeout(timer);
          if (waiters.some((w) => w.pattern === pattern))
            fail(new Error(`exited before the screen showed ${pattern}:\n${screen.text}`));
        });
      }),
  };
}
