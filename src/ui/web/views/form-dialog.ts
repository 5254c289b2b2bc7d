import { ApiError } from '../api.js';
import { replaceChildren } from '../dom.js';

/** The parts of a dialog's form that `showFormDialog` wires together. */
export interface FormDialogParts<T> {
  testId: string;
  form: HTMLFormElement;
  submit: HTMLButtonElement;
  cancel: HTMLButtonElement;
  /** Where a refusal (the server's message) shows. */
  problem: HTMLElement;
  /** The request on submit; null when the form is not ready to send (nothing happens then). */
  send(): Promise<T> | null;
  /** Called once when the dialog closes (to stop in-flight previews). */
  onClose?(): void;
}

/**
 * A modal dialog around a form: Submit sends the request with the button disabled; success closes the
 * dialog and resolves with the request's answer, a failure shows the server's message in the dialog and
 * lets the user try again; Cancel (or Escape) resolves null.
 */
export function showFormDialog<T>(parts: FormDialogParts<T>): Promise<T | null> {
  return new Promise((resolve) => {
    const dialog = document.createElement('dialog');
    dialog.className = 'dialog';
    dialog.setAttribute('data-testid', parts.testId);
    dialog.appendChild(parts.form);
    document.body.appendChild(dialog);
    let result: T | null = null;
    dialog.addEventListener('close', () => {
      parts.onClose?.();
      dialog.remove();
      resolve(result);
    });
    parts.cancel.addEventListener('click', () => dialog.close());
    parts.form.addEventListener('submit', (event) => {
      event.preventDefault();
      const request = parts.send();
      if (request === null) return;
      parts.submit.disabled = true;
      request
        .then((answer) => {
          result = answer;
          dialog.close();
        })
        .catch((error: unknown) => {
          replaceChildren(parts.problem, error instanceof ApiError ? error.message : String(error));
          parts.submit.disabled = false;
        });
    });
    dialog.showModal();
  });
}
