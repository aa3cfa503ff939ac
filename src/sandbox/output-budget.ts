/**
 * Caps what the host keeps of one execution's output. The supervisor caps it too, but it shares a uid with
 * the user's code, so the host never relies on that alone to bound its own memory.
 */
export class OutputBudget {
  truncated = false;
  private remaining: number;

  constructor(limit: number) {
    this.remaining = limit;
  }

  /** The part of `text` that still fits (measured in UTF-16 units, close enough to bytes for a cap). */
  take(text: string): string {
    if (text.length <= this.remaining) {
      this.remaining -= text.length;
      return text;
    }
    this.truncated = true;
    const kept = text.slice(0, this.remaining);
    this.remaining = 0;
    return kept;
  }

  /** Whether something of `size` fits; if it does, it is counted. */
  admit(size: number): boolean {
    if (size > this.remaining) {
      this.truncated = true;
      return false;
    }
    this.remaining -= size;
    return true;
  }
}
