/** Lines shorter than this (braces, `pass`, `else:`) repeat in ordinary code and never count as a loop. */
const SIGNIFICANT_CHARS = 8;

function significant(line: string): boolean {
  return line.trim().length >= SIGNIFICANT_CHARS;
}

export interface RepetitionLimits {
  /** Identical lines in a row (blank lines between them aside) that make a loop. Default 5: data rows repeat too. */
  maxRepeats?: number;
  /** A line longer than this is a loop too. Default 400. */
  maxLineChars?: number;
}

/**
 * Watches generated text for the loops small models fall into (the same line over and over, or one
 * endless line) so generation can stop early instead of spending its whole token budget.
 */
export class RepetitionGuard {
  /** The unfinished last line, and the latest complete non-blank lines: all a check needs, per token. */
  private current = "";
  private recent: string[] = [];
  private readonly maxRepeats: number;
  private readonly maxLineChars: number;

  constructor(limits: RepetitionLimits = {}) {
    this.maxRepeats = limits.maxRepeats ?? 5;
    this.maxLineChars = limits.maxLineChars ?? 400;
  }

  /** Adds generated text; true once the text has degenerated. */
  push(chunk: string): boolean {
    const lines = (this.current + chunk).split("\n");
    this.current = lines.pop() ?? "";
    for (const line of lines) if (line.trim() !== "") this.recent.push(line);
    this.recent = this.recent.slice(-this.maxRepeats);
    if (this.current.length > this.maxLineChars) return true;
    const first = this.recent[0] ?? "";
    return this.recent.length === this.maxRepeats && significant(first) && this.recent.every((line) => line === first);
  }

  /**
   * The text of a degenerated answer cut back to before its loop: the unfinished last line goes, and a run of
   * identical lines at the end keeps only its first copy. Anything earlier, repeated or not, stays.
   */
  static trim(text: string): string {
    const lines = text.split("\n").slice(0, -1);
    let end = lines.length;
    while (end > 0 && lines[end - 1]?.trim() === "") end--;
    const repeated = lines[end - 1];
    if (repeated !== undefined && significant(repeated)) {
      for (let index = end - 2; index >= 0; index--) {
        const line = lines[index] ?? "";
        if (line.trim() === "") continue;
        if (line !== repeated) break;
        end = index + 1;
      }
    }
    return lines
      .slice(0, end)
      .map((line) => `${line}\n`)
      .join("");
  }
}

/**
 * Releases streamed text a line at a time, holding back what the repetition guard may yet cut: a line that
 * repeats the one before it (released after all once a different line follows), blank lines until a line
 * follows them, and the unfinished last line. A stream never shows text the final answer drops.
 */
export class LineGate {
  private text = "";
  private scanned = 0;
  private released = 0;
  private lastLine: string | undefined;

  /** Adds generated text; returns what may be shown now. */
  push(chunk: string): string {
    this.text += chunk;
    let out = "";
    for (;;) {
      const end = this.text.indexOf("\n", this.scanned);
      if (end === -1) return out;
      const line = this.text.slice(this.scanned, end);
      this.scanned = end + 1;
      if (line.trim() === "") continue;
      if (line === this.lastLine && significant(line)) continue;
      this.lastLine = line;
      out += this.text.slice(this.released, end + 1);
      this.released = end + 1;
    }
  }

  /** The rest of the final answer, which starts with everything released so far. */
  finish(answer: string): string {
    if (!answer.startsWith(this.text.slice(0, this.released))) {
      throw new Error("the final answer does not continue the streamed text");
    }
    return answer.slice(this.released);
  }
}
