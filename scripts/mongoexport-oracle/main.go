// mongoexport's own output code, fed raw BSON instead of a server: the oracle of the writer tests.
//
// scripts/mongoexport.js builds this file inside the verified mongo-tools module source (the same version as the
// mongoexport binary), so it calls exactly what mongoexport calls for each document: the cursor's decoding into
// bson.D, then JSONExportOutput.ExportDocument or CSVExportOutput.ExportDocument.
//
//	mpe-mongoexport-oracle json relaxed|canonical   < docs.bson
//	mpe-mongoexport-oracle csv FIELD,FIELD,…        < docs.bson
//
// stdin: concatenated BSON documents. stdout: one line per document, the base64 of what mongoexport writes for it
// (its line terminator included), or "!" and the error mongoexport would stop with.
package main

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/mongodb/mongo-tools/mongoexport"
	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/bsonrw"
)

// exporter writes one document the way mongoexport's export loop does.
type exporter interface {
	ExportDocument(bson.D) error
	Flush() error
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: mpe-mongoexport-oracle json relaxed|canonical | csv FIELDS  < docs.bson")
		os.Exit(2)
	}
	var buf bytes.Buffer
	var out exporter
	switch os.Args[1] {
	case "json":
		format := mongoexport.JSONFormat(os.Args[2])
		if format != mongoexport.Relaxed && format != mongoexport.Canonical {
			fmt.Fprintln(os.Stderr, "json format: relaxed or canonical")
			os.Exit(2)
		}
		out = mongoexport.NewJSONExportOutput(false, false, &buf, format)
	case "csv":
		// the fields as mongoexport's getExportOutput passes them: a trailing ".$" left out
		var fields []string
		for _, field := range strings.Split(os.Args[2], ",") {
			if i := strings.LastIndex(field, "."); i != -1 && field[i+1:] == "$" {
				field = field[:i]
			}
			fields = append(fields, field)
		}
		out = mongoexport.NewCSVExportOutput(fields, true, &buf)
	default:
		fmt.Fprintln(os.Stderr, "json or csv")
		os.Exit(2)
	}
	in := bufio.NewReaderSize(os.Stdin, 1<<20)
	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	defer w.Flush()
	for {
		var size [4]byte
		if _, err := io.ReadFull(in, size[:]); err == io.EOF {
			return
		} else if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		raw := make([]byte, binary.LittleEndian.Uint32(size[:]))
		copy(raw, size[:])
		if _, err := io.ReadFull(in, raw[4:]); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		buf.Reset()
		// as mongo.Cursor.Decode(&bson.D) does with the client's default registry
		var doc bson.D
		dec, err := bson.NewDecoder(bsonrw.NewBSONDocumentReader(raw))
		if err == nil {
			err = dec.Decode(&doc)
		}
		if err == nil {
			err = out.ExportDocument(doc)
		}
		if err == nil {
			err = out.Flush()
		}
		if err != nil {
			fmt.Fprintf(w, "!%s\n", strings.ReplaceAll(err.Error(), "\n", " "))
			continue
		}
		fmt.Fprintln(w, base64.StdEncoding.EncodeToString(buf.Bytes()))
	}
}
