import type { Section } from "./bullet.ts";

/** A lesson proposed from one run, before the curator decides what (if anything) it becomes. */
export interface Insight {
  section: Section;
  /** One short imperative sentence. */
  content: string;
  snippet: string | null;
  /** The failure signatures it answers: its triggers. */
  errors: string[];
  /** What in the run supports it (shown in `playbook history`). */
  evidence: string;
  /** `rules`, or the reflector model's spec. */
  source: string;
  /** Holds for Python only (most rules), or for any language. */
  pythonOnly: boolean;
}

/** A verdict on a bullet that was shown in the run. */
export interface BulletMark {
  id: string;
  tag: "helpful" | "harmful";
  reason: string;
}

/** The facts of one run and what they teach: produced by the reflector, read by the curator. */
export interface Reflection {
  taskId: string;
  solved: boolean;
  /** Every attempt's failure, in order (a passing attempt ends the list). */
  failures: { n: number; kind: string; signature: string; message: string }[];
  /** Between the last failing attempt and the passing one: the lines added and removed. */
  fix: { from: number; to: number; added: string[]; removed: string[] } | null;
  /** Every bullet shown in the run. */
  shown: string[];
  keywords: string[];
  tags: string[];
  insights: Insight[];
  marks: BulletMark[];
}
