import { useEffect, useState } from 'preact/hooks';
import { ApiError, unwrap } from '../../api-client/client';
import { call, client, messageOf, restored } from './api';
import { useSubmit } from './auth';
import { Field, FormError } from './field';
import { linkToken } from './route';
import { session } from './session';

/** Asking for a reset link: the answer is the same whether or not an account has the address. */
export function ForgotPassword() {
  const [email, setEmail] = useState('');
  const [sent, setSent] = useState(false);
  const { error, busy, submit } = useSubmit(async () => {
    // 202 without a body: the client has thrown already if it was anything else.
    await client.api.auth['forgot-password'].$post({ json: { email } });
    setSent(true);
  });

  if (sent) {
    return (
      <section class="card" aria-labelledby="forgot-title">
        <h1 id="forgot-title">Check your email</h1>
        <p role="status">
          If an account has the address {email}, a link to choose a new password is on its way. It works once, for 30 minutes.
        </p>
        <p>
          <a href="#/">Back to sign in</a>
        </p>
      </section>
    );
  }
  return (
    <form class="card" onSubmit={submit} aria-labelledby="forgot-title">
      <h1 id="forgot-title">Forgot your password?</h1>
      <p>Give the email address of your account and we will send you a link to choose a new password.</p>
      <Field name="email" label="Email" type="email" autocomplete="email" value={email} onInput={setEmail} error={error?.field('email')} />
      <FormError error={error} fields={['email']} />
      <button type="submit" disabled={busy}>
        Send the link
      </button>
      <p>
        <a href="#/">Back to sign in</a>
      </p>
    </form>
  );
}

/** A link that was opened before and is no longer in the address bar (the page was reloaded). */
function LinkGone({ title, what }: { title: string; what: string }) {
  return (
    <section class="card" aria-labelledby="link-gone">
      <h1 id="link-gone">{title}</h1>
      <p role="alert">This page needs the link from your email. Open {what} again from the email.</p>
      <p>
        <a href="#/">Go to sign in</a>
      </p>
    </section>
  );
}

/** Choosing a new password with the emailed link; every session of the account ends. */
export function ResetPassword() {
  const token = linkToken('reset-password');
  const [password, setPassword] = useState('');
  const [again, setAgain] = useState('');
  const [mismatch, setMismatch] = useState(false);
  const [done, setDone] = useState(false);
  const { error, busy, submit } = useSubmit(async () => {
    if (password !== again) return setMismatch(true);
    setMismatch(false);
    await unwrap(client.api.auth['reset-password'].$post({ json: { token: token ?? '', newPassword: password } }));
    // Every session ended, this browser's too.
    if (session.token) session.set({ token: null, user: null, ended: 'signed_out' });
    setDone(true);
  });

  if (!token) return <LinkGone title="Choose a new password" what="the reset link" />;
  if (done) {
    return (
      <section class="card" aria-labelledby="reset-title">
        <h1 id="reset-title">Password changed</h1>
        <p role="status">Your new password is set, and every device that was signed in has been signed out.</p>
        <p>
          <a href="#/">Sign in with your new password</a>
        </p>
      </section>
    );
  }
  const invalidLink = error?.code === 'invalid_token';
  return (
    <form class="card" onSubmit={submit} aria-labelledby="reset-title">
      <h1 id="reset-title">Choose a new password</h1>
      <Field
        name="new-password"
        label="New password (8 or more characters)"
        type="password"
        autocomplete="new-password"
        value={password}
        onInput={setPassword}
        error={error?.field('newPassword')}
      />
      <Field
        name="new-password-again"
        label="New password again"
        type="password"
        autocomplete="new-password"
        value={again}
        onInput={setAgain}
        error={mismatch ? 'The two passwords are not the same.' : undefined}
      />
      {invalidLink ? (
        <p class="error" role="alert">
          {error.message} <a href="#/forgot-password">Ask for a new link</a>
        </p>
      ) : (
        <FormError error={error} fields={['newPassword']} />
      )}
      <button type="submit" disabled={busy}>
        Change password
      </button>
    </form>
  );
}

const verifying = new Map<string, Promise<void>>();

/** Confirming an email address with the emailed link (sign-up mode `open`). */
export function VerifyEmail() {
  const token = linkToken('verify-email');
  const [state, setState] = useState<'working' | 'done' | ApiError | string>('working');
  useEffect(() => {
    if (!token) return;
    // Once per token, however often this renders: the token works once.
    let work = verifying.get(token);
    if (!work) {
      work = unwrap(client.api.auth['verify-email'].$post({ json: { token } })).then(async () => {
        // Signed in on this browser: the account may be this one, active now (every tab is told).
        await restored();
        if (session.token)
          await call(() => client.api.me.$get()).then(
            (r) => session.setUser(r.user),
            () => undefined,
          );
      });
      verifying.set(token, work);
    }
    work.then(
      () => setState('done'),
      (e: unknown) => setState(e instanceof ApiError ? e : messageOf(e)),
    );
  }, [token]);

  if (!token) return <LinkGone title="Confirm your email" what="the confirmation link" />;
  return (
    <section class="card" aria-labelledby="verify-title">
      <h1 id="verify-title">Confirm your email</h1>
      {state === 'working' && <p role="status">Confirming your email address…</p>}
      {state === 'done' && (
        <>
          <p role="status">Your email address is confirmed: your account is active.</p>
          <p>
            <a href="#/">{session.user ? 'Go to your files' : 'Sign in'}</a>
          </p>
        </>
      )}
      {state !== 'working' && state !== 'done' && (
        <>
          <p class="error" role="alert">
            {typeof state === 'string' ? state : state.message}
          </p>
          <p>
            <a href="#/">Go to sign in</a>
          </p>
        </>
      )}
    </section>
  );
}
