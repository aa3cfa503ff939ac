import type { CheckedCode, Task } from "../loop/index.ts";

/** One draft the model wrote, and the rejection that followed it, if one did. */
export interface Draft {
  n: number;
  code: string | null;
  at: string;
  usage: { inputTokens: number; outputTokens: number; costUsd: number | null };
  durationMs: number;
  /** The reviewer's feedback on this draft, which the next draft answers. */
  rejection?: { by: string; feedback: string };
}

/** How drafts are asked for: kept with the review, so another process can draft again the same way. */
export interface DraftSettings {
  maxOutputTokens: number;
  seed: number;
  temperature?: number;
}

/** A review's state document (the run store's `reviews.document`). */
export interface ReviewDocument {
  task: Task;
  settings: DraftSettings;
  drafts: Draft[];
  /** The code approved to run: the last draft, or the reviewer's edit of it. */
  approved?: { code: string; edited: boolean; by: string; at: string };
  /** What running the approved code (and the task's tests) showed. */
  result?: Pick<CheckedCode, "execution" | "diagnosis" | "durations">;
  artifact?: { path: string; bytes: number };
}

/** The document of a stored review (stored as JSON written by this module). */
export function reviewDocumentOf(document: unknown): ReviewDocument {
  return document as ReviewDocument;
}
