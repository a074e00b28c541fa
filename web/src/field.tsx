import type { JSX } from 'preact';
import type { ApiError } from '../../api-client/client';

/** A labelled input whose API error, if any, is shown right under it and announced. */
export function Field(props: {
  name: string;
  label: string;
  type?: 'text' | 'email' | 'password' | 'search';
  autocomplete: string;
  error?: string | undefined;
  hint?: string | undefined;
  value: string;
  readOnly?: boolean;
  onInput?: (v: string) => void;
}) {
  const id = `field-${props.name}`;
  const described = [props.hint ? `${id}-hint` : '', props.error ? `${id}-error` : ''].filter(Boolean).join(' ');
  // Preact types each input `type` separately; this one field serves several of them.
  const input = {
    id,
    name: props.name,
    type: props.type ?? 'text',
    autocomplete: props.autocomplete,
    required: !props.readOnly,
    readOnly: props.readOnly,
    value: props.value,
    'aria-invalid': props.error ? 'true' : undefined,
    'aria-describedby': described || undefined,
    onInput: (e: Event) => props.onInput?.((e.target as HTMLInputElement).value),
  } as JSX.IntrinsicElements['input'];
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      {props.hint && (
        <p id={`${id}-hint`} class="hint">
          {props.hint}
        </p>
      )}
      <input {...input} />
      {props.error && (
        <p id={`${id}-error`} class="error" role="alert">
          {props.error}
        </p>
      )}
    </div>
  );
}

/** The error of a form as a whole, when it is not about one of the fields shown. */
export function FormError({ error, fields }: { error: ApiError | null; fields: string[] }) {
  if (!error || fields.some((f) => error.field(f))) return null;
  return (
    <p class="error" role="alert">
      {error.message}
    </p>
  );
}

/** A message that screen readers announce politely when it appears. */
export function Status({ children }: { children: preact.ComponentChildren }) {
  return <p role="status">{children}</p>;
}

/**
 * A table that scrolls sideways on a narrow screen rather than squeezing its columns: a named
 * region the keyboard can reach, so it can be scrolled without a mouse.
 */
export function TableWrap({ label, children }: { label: string; children: preact.ComponentChildren }) {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard to be scrolled
    <section class="table-wrap" aria-label={label} tabIndex={0}>
      {children}
    </section>
  );
}
