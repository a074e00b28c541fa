import { useEffect, useRef } from 'preact/hooks';

/** A modal dialog: focus moves in, Escape closes it, the page behind is inert. */
export function Dialog(props: { title: string; onClose: () => void; children: preact.ComponentChildren }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    ref.current?.showModal();
  }, []);
  const id = `dialog-${props.title.replace(/\W+/g, '-')}`;
  return (
    <dialog ref={ref} aria-labelledby={id} onClose={props.onClose}>
      <h2 id={id}>{props.title}</h2>
      {props.children}
    </dialog>
  );
}
