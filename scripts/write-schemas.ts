// Writes the published JSON Schemas (schemas/*.schema.json) from the zod schemas that validate the files.
import { writeFileSync } from "node:fs";
import { taskJsonSchema } from "../src/loop/index.ts";

writeFileSync(
  new URL("../schemas/task.schema.json", import.meta.url),
  `${JSON.stringify(taskJsonSchema(), null, 2)}\n`,
);
