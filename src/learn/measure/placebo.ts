import type { BulletSource, PromptBullet } from "../../loop/index.ts";
import { seededRandom } from "../../random.ts";
import { estimateTokens } from "../text.ts";

/**
 * Statements that look like playbook bullets but say nothing that could change whether code passes its tests:
 * the placebo arm shows these, as many tokens as the learned bullets it stands in for.
 */
const NEUTRAL_STATEMENTS = [
  "Python was first released in 1991.",
  "Code is read more often than it is written.",
  "A function is a named block of code.",
  "Comments start with a hash sign in Python.",
  "Editors can show line numbers in the margin.",
  "Modules group related code into one file.",
  "The standard library ships with every Python install.",
  "Version control keeps the history of a project.",
  "Documentation helps other people use the code.",
  "Some teams review code before it is merged.",
  "Programs are often written in several languages.",
  "Unicode covers the scripts of most languages.",
  "A keyboard shortcut can save a little time.",
  "Style guides differ from team to team.",
  "Many projects keep a changelog of releases.",
  "Files are usually saved as UTF-8 text.",
];

/**
 * Placebo bullets in place of each selection `source` makes: neutral statements drawn at random (seeded by
 * the task and attempt) until they take the same number of tokens as the real bullets would.
 */
export function placeboSource(source: BulletSource, taskId: string, seed: number): BulletSource {
  let attempt = 0;
  return {
    size: source.size,
    select(previous) {
      attempt += 1;
      const real = source.select(previous);
      return placeboFor(real, seededRandom(hash(`${taskId}#${attempt}#${seed}`)));
    },
  };
}

/** Neutral bullets with the same estimated token count as `real`. */
function placeboFor(real: PromptBullet[], random: () => number): PromptBullet[] {
  const target = real.reduce((sum, bullet) => sum + estimateTokens(textOf(bullet)), 0);
  const bullets: PromptBullet[] = [];
  let tokens = 0;
  while (tokens < target) {
    const statement = NEUTRAL_STATEMENTS[Math.floor(random() * NEUTRAL_STATEMENTS.length)] ?? "";
    const room = (target - tokens) * 3.5;
    const content = statement.length <= room ? statement : statement.slice(0, Math.max(1, Math.floor(room)));
    bullets.push({ id: `plc-${String(bullets.length + 1).padStart(4, "0")}`, content });
    tokens += estimateTokens(content);
  }
  return bullets;
}

function textOf(bullet: PromptBullet): string {
  return bullet.snippet ? `${bullet.content}\n${bullet.snippet}` : bullet.content;
}

function hash(text: string): number {
  let value = 2166136261;
  for (let index = 0; index < text.length; index++) {
    value ^= text.charCodeAt(index);
    value = Math.imul(value, 16777619);
  }
  return value >>> 0;
}
