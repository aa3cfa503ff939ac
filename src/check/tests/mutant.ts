/** A copy of the implementation with one simple change (an operator swapped, a constant changed). */
export interface Mutant {
  /** Where the change is in the implementation (1-based). */
  line: number;
  column: number;
  /** What changed, like "a + b -> a - b". */
  description: string;
  /** The whole implementation, mutated. */
  source: string;
}
