import { useState } from 'preact/hooks';
import { type ApiError, unwrap } from '../../api-client/client';
import { asApiError, client, WITH_COOKIE } from './api';
import { Field, FormError } from './field';
import { session } from './session';

/** Signs in and keeps the session: the access token in memory, the refresh token in its HttpOnly cookie. */
export async function signIn(username: string, password: string): Promise<void> {
  const result = await unwrap(client.api.auth.login.$post({ json: { username, password, refreshTokenIn: 'cookie' } }, WITH_COOKIE));
  session.set({ token: result.accessToken, user: result.user });
}

/** A form's submit handler that runs `work` once at a time, keeping its ApiError for the fields. */
export function useSubmit(work: () => Promise<void>) {
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      await work();
    } catch (err) {
      setError(asApiError(err));
    } finally {
      setBusy(false);
    }
  };
  return { error, setError, busy, submit };
}

export function SignIn({ note }: { note?: string | undefined }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const { error, busy, submit } = useSubmit(() => signIn(username, password));

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
      <FormError error={error} fields={['username', 'password']} />
      <button type="submit" disabled={busy}>
        Sign in
      </button>
      <p>
        <a href="#/forgot-password">Forgot password?</a>
      </p>
      <p>
        New client? <a href="#/signup">Create an account</a>
      </p>
    </form>
  );
}

/** Field errors the API reports as codes of the whole request rather than of a field. */
const conflictOf = (error: ApiError | null, field: 'username' | 'email') =>
  error?.field(field) ?? (error?.code === `${field}_taken` ? error.message : undefined);

/**
 * Creating an account, then signing in with it at once: what the person sees next depends on the
 * account's status (waiting for approval, checking their email, or their files).
 */
export function SignUpForm(props: { title: string; intro?: preact.ComponentChildren; invitation?: { token: string; email: string } }) {
  const [username, setUsername] = useState('');
  const [email, setEmail] = useState(props.invitation?.email ?? '');
  const [password, setPassword] = useState('');
  const [created, setCreated] = useState(false);
  const { error, busy, submit } = useSubmit(async () => {
    const invitation = props.invitation?.token;
    await unwrap(client.api.auth.signup.$post({ json: { username, email, password, ...(invitation ? { invitation } : {}) } }));
    setCreated(true);
    await signIn(username, password);
    location.hash = '#/';
  });

  if (created && error) {
    // The account exists; only the sign-in after it failed (throttled, say).
    return (
      <section class="card" aria-labelledby="signup-done">
        <h1 id="signup-done">Account created</h1>
        <p role="status">
          Your account is ready. <a href="#/">Sign in</a> to continue.
        </p>
      </section>
    );
  }
  const usernameError = conflictOf(error, 'username');
  const emailError = conflictOf(error, 'email');
  return (
    <form class="card" onSubmit={submit} aria-labelledby="signup-title">
      <h1 id="signup-title">{props.title}</h1>
      {props.intro}
      {props.invitation && (
        <Field
          name="email"
          label="Email"
          type="email"
          autocomplete="email"
          value={email}
          readOnly
          hint="The address you were invited at."
          error={emailError}
        />
      )}
      <Field name="username" label="Username" autocomplete="username" value={username} onInput={setUsername} error={usernameError} />
      {!props.invitation && (
        <Field name="email" label="Email" type="email" autocomplete="email" value={email} onInput={setEmail} error={emailError} />
      )}
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
      <button type="submit" disabled={busy}>
        Create account
      </button>
      <p>
        Already have an account? <a href="#/">Sign in</a>
      </p>
    </form>
  );
}

export const SignUp = () => <SignUpForm title="Create a client account" />;
