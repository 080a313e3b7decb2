/**
 * How documents and keys are read so that nothing changes between the server and the file: a double 42.0 stays a
 * Double, an Int64 stays an Int64, binary stays Binary and a regex keeps its flags (canonical Extended JSON is then
 * type-exact).
 */
export const EXACT_READ = {
  promoteValues: false,
  promoteLongs: false,
  promoteBuffers: false,
  bsonRegExp: true,
} as const;
