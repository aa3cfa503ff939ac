/** The formats litmus reads; a file's format is told by its fields when it is not a known dataset. */
export type DatasetFormat = "humaneval" | "humaneval+" | "mbpp" | "mbpp-sanitized" | "mbpp+";

/** A public benchmark litmus knows by name: where it comes from and how to recognise the exact file. */
export interface KnownDataset {
  name: string;
  format: DatasetFormat;
  /** The file's path inside a datasets folder laid out like the original releases (and ../shared/datasets). */
  file: string;
  /** The original source, for users online. */
  url: string;
  sha256: string;
  license: string;
  description: string;
}

/** Checksums are those of the files published at `url` (and kept in ../shared/datasets). */
export const KNOWN_DATASETS: readonly KnownDataset[] = [
  {
    name: "humaneval",
    format: "humaneval",
    file: "humaneval/HumanEval.jsonl.gz",
    url: "https://github.com/openai/human-eval/raw/master/data/HumanEval.jsonl.gz",
    sha256: "b796127e635a67f93fb35c04f4cb03cf06f38c8072ee7cee8833d7bee06979ef",
    license: "MIT",
    description: "HumanEval: 164 Python functions from docstrings, scored by their check() tests",
  },
  {
    name: "humaneval+",
    format: "humaneval+",
    file: "humanevalplus/HumanEvalPlus.jsonl.gz",
    url: "https://github.com/evalplus/humanevalplus_release/releases/download/v0.1.10/HumanEvalPlus.jsonl.gz",
    sha256: "272720b90ac375502c8ed23cd791c2a93dfb22a911641a494da74a426c09f101",
    license: "Apache-2.0",
    description:
      "HumanEval+ (EvalPlus v0.1.10): HumanEval with about 80x more inputs, outputs compared to the reference",
  },
  {
    name: "humaneval+mini",
    format: "humaneval+",
    file: "humanevalplus/HumanEvalPlus-Mini.jsonl.gz",
    url: "https://github.com/evalplus/humanevalplus_release/releases/download/v0.1.10/HumanEvalPlus-Mini.jsonl.gz",
    sha256: "91486741f1627101021fbe50523df08eebb5b0bf5e804b633dcd5ca3c14dbd2f",
    license: "Apache-2.0",
    description: "HumanEval+ Mini: the same tasks with a reduced set of plus inputs",
  },
  {
    name: "mbpp",
    format: "mbpp",
    file: "mbpp/mbpp.jsonl",
    url: "https://raw.githubusercontent.com/google-research/google-research/master/mbpp/mbpp.jsonl",
    sha256: "ccf64ceae9c5403bf50a044cb6d505bfd2a2963ee58338ba268fd65beab92a9f",
    license: "CC-BY-4.0",
    description: "MBPP (full): 974 basic Python problems, 3 asserts each; splits by task id",
  },
  {
    name: "mbpp-sanitized",
    format: "mbpp-sanitized",
    file: "mbpp/sanitized-mbpp.json",
    url: "https://raw.githubusercontent.com/google-research/google-research/master/mbpp/sanitized-mbpp.json",
    sha256: "7fec016546acaee11dbe14f9f0bb670e59f41919f7b522a59fba34871da78551",
    license: "CC-BY-4.0",
    description: "MBPP (sanitized): the 427 hand-verified problems, same splits",
  },
  {
    name: "mbpp+",
    format: "mbpp+",
    file: "mbppplus/MbppPlus.jsonl.gz",
    url: "https://github.com/evalplus/mbppplus_release/releases/download/v0.2.0/MbppPlus.jsonl.gz",
    sha256: "af43697e8791c4c149bdfd6b489d8b5412507551ac20e28a439f650b8225db63",
    license: "Apache-2.0",
    description: "MBPP+ (EvalPlus v0.2.0): 378 sanitized MBPP tasks with many more inputs",
  },
];

/** The known dataset called `name` (case-insensitive; "humanevalplus" and "mbppplus" spell the + out). */
export function knownDataset(name: string): KnownDataset | undefined {
  const normalized = name
    .toLowerCase()
    .replace(/plus/g, "+")
    .replace(/-mini$/, "mini");
  return KNOWN_DATASETS.find((dataset) => dataset.name === normalized);
}
