/** Where a command writes: its output, and its progress and errors. */
export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}
