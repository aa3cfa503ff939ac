/**
 * Watches generated text for the loops small models fall into (the same line over and over, or one
 * endless line) so generation can stop early instead of spending its whole token budget.
 */
export class RepetitionGuard {
  private text = "";
  private readonly maxRepeats: number;
  private readonly maxLineChars: number;

  /** Stops at `maxRepeats` identical non-blank lines in a row (default 3) or a line over `maxLineChars` (default 400). */
  constructor(options: { maxRepeats?: number; maxLineChars?: number } = {}) {
    this.maxRepeats = options.maxRepeats ?? 3;
    this.maxLineChars = options.maxLineChars ?? 400;
  }

  /** Adds generated text; true once the text has degenerated. */
  push(chunk: string): boolean {
    this.text += chunk;
    const lines = this.text.split("\n");
    const current = lines.at(-1) ?? "";
    if (current.length > this.maxLineChars) return true;
    const complete = lines.slice(0, -1).slice(-this.maxRepeats);
    const first = complete[0]?.trim();
    return complete.length === this.maxRepeats && first !== "" && complete.every((line) => line.trim() === first);
  }

  /** The text without the degenerate tail: one copy of a repeated line, no overlong line. */
  static trim(text: string, options: { maxRepeats?: number; maxLineChars?: number } = {}): string {
    const lines = text.split("\n");
    const kept: string[] = [];
    for (const line of lines) {
      const repeated = kept.length > 0 && line.trim() !== "" && line.trim() === kept.at(-1)?.trim();
      // Every line kept before a cut ended with a newline: keep it, so the text is a prefix of the answer.
      if (line.length > (options.maxLineChars ?? 400) || repeated) return kept.length > 0 ? `${kept.join("\n")}\n` : "";
      kept.push(line);
    }
    return kept.join("\n");
  }
}

/**
 * Releases streamed text a line at a time, holding back a line that repeats the one before it: the
 * repetition guard may yet cut the answer there, and a stream must never show text the answer drops.
 */
export class LineGate {
  private text = "";
  private released = 0;
  private held = false;

  /** Adds generated text; returns what may be shown now. */
  push(chunk: string): string {
    this.text += chunk;
    if (this.held) return "";
    let out = "";
    for (;;) {
      const end = this.text.indexOf("\n", this.released);
      if (end === -1) return out;
      const line = this.text.slice(this.released, end);
      const previousEnd = this.released - 1;
      const previous =
        previousEnd > 0 ? this.text.slice(this.text.lastIndexOf("\n", previousEnd - 1) + 1, previousEnd) : null;
      if (line.trim() !== "" && previous !== null && line.trim() === previous.trim()) {
        this.held = true;
        return out;
      }
      out += this.text.slice(this.released, end + 1);
      this.released = end + 1;
    }
  }

  /** The rest of the final answer, which starts with everything released so far. */
  finish(answer: string): string {
    return answer.slice(this.released);
  }
}
