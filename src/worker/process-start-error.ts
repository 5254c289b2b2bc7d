/** An operator's process could not be started at all (nothing of it runs). */
export class ProcessStartError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ProcessStartError';
  }
}
