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
    // Blank lines between the copies do not break a loop.
    const complete = lines
      .slice(0, -1)
      .filter((line) => line.trim() !== "")
      .slice(-this.maxRepeats);
    const first = complete[0]?.trim();
    return complete.length === this.maxRepeats && complete.every((line) => line.trim() === first);
  }

  /** The text without the degenerate tail: one copy of a repeated line, no overlong line. */
  static trim(text: string, options: { maxRepeats?: number; maxLineChars?: number } = {}): string {
    const lines = text.split("\n");
    const kept: string[] = [];
    let previous: string | undefined;
    for (const line of lines) {
      const repeated = line.trim() !== "" && line.trim() === previous;
      if (line.trim() !== "") previous = line.trim();
      // Every line kept before a cut ended with a newline: keep it, so the text is a prefix of the answer.
      if (line.length > (options.maxLineChars ?? 400) || repeated)
        return kept.length > 0 ? `${kept.join("\n").trimEnd()}\n` : "";
      kept.push(line);
    }
    return kept.join("\n");
  }
}

/**
 * Releases streamed text a line at a time, holding back what the repetition guard may yet cut: a line that
 * repeats the last one, an overlong line, and blank lines until a line of code follows them. A stream must
 * never show text the final answer drops.
 */
export class LineGate {
  private text = "";
  private scanned = 0;
  private released = 0;
  private held = false;
  private lastLine: string | undefined;
  private readonly maxLineChars: number;

  constructor(options: { maxLineChars?: number } = {}) {
    this.maxLineChars = options.maxLineChars ?? 400;
  }

  /** Adds generated text; returns what may be shown now. */
  push(chunk: string): string {
    this.text += chunk;
    let out = "";
    while (!this.held) {
      const end = this.text.indexOf("\n", this.scanned);
      if (end === -1) break;
      const line = this.text.slice(this.scanned, end);
      this.scanned = end + 1;
      if (line.trim() === "") continue;
      if (line.trim() === this.lastLine || line.length > this.maxLineChars) {
        this.held = true;
        break;
      }
      this.lastLine = line.trim();
      out += this.text.slice(this.released, end + 1);
      this.released = end + 1;
    }
    return out;
  }

  /** The rest of the final answer, which starts with everything released so far. */
  finish(answer: string): string {
    return answer.slice(this.released);
  }
}
