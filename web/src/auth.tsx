import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { ApiError, unwrap } from '../../api-client/client';
import { client, type User } from './api';
import { session } from './session';

/** A labelled input whose API error, if any, is shown right under it and announced. */
function Field(props: {
  name: string;
  label: string;
  type?: 'text' | 'email' | 'password';
  autocomplete: string;
  error?: string | undefined;
  value: string;
  onInput: (v: string) => void;
}) {
  const id = `field-${props.name}`;
  // Preact types each input `type` separately; this one field serves three of them.
  const input = {
    id,
    name: props.name,
    type: props.type ?? 'text',
    autocomplete: props.autocomplete,
    required: true,
    value: props.value,
    'aria-invalid': props.error ? 'true' : undefined,
    'aria-describedby': props.error ? `${id}-error` : undefined,
    onInput: (e: Event) => props.onInput((e.target as HTMLInputElement).value),
  } as JSX.IntrinsicElements['input'];
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      <input {...input} />
      {props.error && (
        <p id={`${id}-error`} class="error" role="alert">
          {props.error}
        </p>
      )}
    </div>
  );
}

export function SignIn({ note, onSignedIn }: { note?: string | undefined; onSignedIn: (user: User) => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const result = await unwrap(client.api.auth.login.$post({ json: { username, password } }));
      session.set(result.accessToken);
      onSignedIn(result.user);
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, 'network', 'The service cannot be reached.'));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="card" onSubmit={submit} aria-labelledby="signin-title">
      <h1 id="signin-title">Sign in</h1>
      {note && <p>{note}</p>}
      <Field
        name="username"
        label="Username or email"
        autocomplete="username"
        value={username}
        onInput={setUsername}
        error={error?.field('username')}
      />
      <Field
        name="password"
        label="Password"
        type="password"
        autocomplete="current-password"
        value={password}
        onInput={setPassword}
        error={error?.field('password')}
      />
      {error && error.errors.length === 0 && (
        <p class="error" role="alert">
          {error.message}
        </p>
      )}
      <button type="submit" disabled={busy}>
        Sign in
      </button>
      <p>
        New client? <a href="#/signup">Create an account</a>
      </p>
    </form>
  );
}

export function SignUp() {
  const [username, setUsername] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const [done, setDone] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      await unwrap(client.api.auth.signup.$post({ json: { username, email, password } }));
      setDone(true);
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, 'network', 'The service cannot be reached.'));
    }
  };

  if (done) {
    return (
      <section class="card" aria-labelledby="signup-done">
        <h1 id="signup-done">Account created</h1>
        <p role="status">
          You can now <a href="#/">sign in</a>.
        </p>
      </section>
    );
  }
  const usernameError = error?.field('username') ?? (error?.code === 'username_taken' ? error.message : undefined);
  const emailError = error?.field('email') ?? (error?.code === 'email_taken' ? error.message : undefined);
  return (
    <form class="card" onSubmit={submit} aria-labelledby="signup-title">
      <h1 id="signup-title">Create a client account</h1>
      <Field name="username" label="Username" autocomplete="username" value={username} onInput={setUsername} error={usernameError} />
      <Field name="email" label="Email" type="email" autocomplete="email" value={email} onInput={setEmail} error={emailError} />
      <Field
        name="password"
        label="Password (8 or more characters)"
        type="password"
        autocomplete="new-password"
        value={password}
        onInput={setPassword}
        error={error?.field('password')}
      />
      {error && !usernameError && !emailError && !error.field('password') && (
        <p class="error" role="alert">
          {error.message}
        </p>
      )}
      <button type="submit">Create account</button>
      <p>
        Already have an account? <a href="#/">Sign in</a>
      </p>
    </form>
  );
}
