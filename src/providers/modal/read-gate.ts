/**
 * Serialises a mounted volume's reloads against the reads that use it (issue 12.5). During a reload Modal
 * shows the mount empty, and a reload fails while any file on it is open; so a reload waits for the reads
 * in flight to finish, and reads that arrive meanwhile wait for the reload. Readers share; a reload is
 * exclusive; a waiting reload holds new readers back, so a steady stream of requests cannot starve it.
 */
export class VolumeReadGate {
  private readers = 0;
  private exclusive: Promise<void> | null = null;
  private drained: (() => void) | null = null;

  async read<T>(fn: () => Promise<T>): Promise<T> {
    while (this.exclusive) await this.exclusive;
    this.readers++;
    try {
      return await fn();
    } finally {
      this.readers--;
      if (this.readers === 0) this.drained?.();
    }
  }

  async reload<T>(fn: () => Promise<T>): Promise<T> {
    while (this.exclusive) await this.exclusive;
    let release!: () => void;
    this.exclusive = new Promise<void>((resolve) => (release = resolve));
    try {
      if (this.readers > 0) await new Promise<void>((resolve) => (this.drained = resolve));
      this.drained = null;
      return await fn();
    } finally {
      this.exclusive = null;
      release();
    }
  }
}
