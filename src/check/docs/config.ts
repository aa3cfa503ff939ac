import { dirname } from "node:path";
import { lilconfig } from "lilconfig";
import { z } from "zod";
import { LitmusError } from "../../errors.ts";
import { LANGUAGES, type Language, parseBytes, parseDuration } from "../../sandbox/index.ts";

const DocsConfigSchema = z.strictObject({
  /** Files, directories or globs to check when the command names none. */
  include: z.array(z.string()).optional(),
  /** Globs of files never to check. */
  exclude: z.array(z.string()).optional(),
  languages: z.array(z.enum(LANGUAGES)).optional(),
  /** Per block, like "10s". */
  timeout: z.string().optional(),
  /** Per document's sandbox, like "512M". */
  memory: z.string().optional(),
  /** Code each document runs before its first block in that language. */
  setup: z.partialRecord(z.enum(LANGUAGES), z.string()).optional(),
});

const ConfigSchema = z.looseObject({ checkDocs: DocsConfigSchema.optional() });

/** `litmus check docs` settings, from the project's configuration with defaults filled in. */
export interface DocsConfig {
  /** Where the configuration came from (null: none found, defaults only). */
  source: string | null;
  /** The directory globs in the configuration are relative to. */
  root: string;
  include: string[];
  exclude: string[];
  languages: Language[];
  timeoutMs: number;
  memoryBytes: number;
  setup: Partial<Record<Language, string>>;
}

const DEFAULT_DOCS_CONFIG = {
  include: ["."],
  exclude: [] as string[],
  languages: [...LANGUAGES],
  timeout: "10s",
  memory: "512M",
};

/**
 * The `checkDocs` settings of the nearest configuration above `cwd`: the "litmus" key of package.json or a
 * litmus.config.json, or `file` when given. Throws BAD_INPUT naming the file and the field that is wrong.
 */
export async function loadDocsConfig(cwd: string, file?: string): Promise<DocsConfig> {
  const explorer = lilconfig("litmus", { searchPlaces: ["package.json", "litmus.config.json"], stopDir: "/" });
  let found: { filepath: string; config: unknown } | null;
  try {
    found = file ? await explorer.load(file) : await explorer.search(cwd);
  } catch (error) {
    throw new LitmusError(
      "BAD_INPUT",
      `cannot read the configuration${file ? ` ${file}` : ""}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  const parsed = ConfigSchema.safeParse(found?.config ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = ["litmus", ...(issue?.path ?? [])].join(".");
    throw new LitmusError("BAD_INPUT", `${found?.filepath}: ${field}: ${issue?.message}`);
  }
  const docs = parsed.data.checkDocs ?? {};
  const where = `${found?.filepath}: litmus.checkDocs`;
  return {
    source: found?.filepath ?? null,
    root: found ? dirname(found.filepath) : cwd,
    include: docs.include ?? DEFAULT_DOCS_CONFIG.include,
    exclude: docs.exclude ?? DEFAULT_DOCS_CONFIG.exclude,
    languages: docs.languages ?? DEFAULT_DOCS_CONFIG.languages,
    timeoutMs: parseSetting(() => parseDuration(docs.timeout ?? DEFAULT_DOCS_CONFIG.timeout), `${where}.timeout`),
    memoryBytes: parseSetting(() => parseBytes(docs.memory ?? DEFAULT_DOCS_CONFIG.memory), `${where}.memory`),
    setup: docs.setup ?? {},
  };
}

function parseSetting<T>(parse: () => T, where: string): T {
  try {
    return parse();
  } catch (error) {
    throw new LitmusError("BAD_INPUT", `${where}: ${(error as Error).message}`);
  }
}
