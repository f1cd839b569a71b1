// Reads data frames in the Arrow IPC file encoding with apache-arrow (an implementation
// independent of gpx_aifb's writer) and prints each as JSON, for the plugin's contract test:
//   node tools/read-arrow-frames.mjs FILE...
// One line per file: {"metadata": {schema metadata}, "rows": N, "fields": [{"name", "type",
// "nullable", "metadata": {...}, "values": [...]}]}. Timestamps print as their raw integer
// (a decimal string) and their unit; a null is null. Exits 1 when a file does not decode.
import fs from 'node:fs';
import { RecordBatchFileReader, Type } from 'apache-arrow';

function value(field, vector, i) {
  if (!vector.isValid(i)) {
    return null;
  }
  if (field.type.typeId === Type.Timestamp) {
    // The raw stored integer, without the library's conversion to milliseconds.
    const data = vector.data[0];
    return data.values[data.offset + i].toString();
  }
  return vector.get(i);
}

for (const file of process.argv.slice(2)) {
  try {
    // The file reader: the schema and the record batches as the footer lists them.
    const reader = RecordBatchFileReader.from(fs.readFileSync(file)).open();
    if (!reader.isFile()) {
      throw new Error('not an Arrow IPC file');
    }
    const schema = reader.schema;
    if (reader.numRecordBatches !== 1) {
      throw new Error(`${reader.numRecordBatches} record batches, expected 1`);
    }
    const batch = reader.readRecordBatch(0);
    const out = {
      metadata: Object.fromEntries(schema.metadata),
      rows: batch.numRows,
      fields: schema.fields.map((f, idx) => {
        const vector = batch.getChildAt(idx);
        const values = [];
        for (let i = 0; i < batch.numRows; i++) {
          values.push(value(f, vector, i));
        }
        return {
          name: f.name,
          type: String(f.type),
          nullable: f.nullable,
          metadata: Object.fromEntries(f.metadata),
          values,
        };
      }),
    };
    console.log(JSON.stringify(out));
  } catch (e) {
    console.error(`${file}: ${e.stack || e}`);
    process.exit(1);
  }
}
