import { useEffect, useState } from 'preact/hooks';
import { ApiError, unwrap } from '../../api-client/client';
import { client, messageOf } from './api';
import { SignUpForm } from './auth';
import { formatDate } from './format';
import { linkToken } from './route';
import { session } from './session';

interface Invited {
  email: string;
  role: 'client' | 'ops';
  expiresAt: string;
}

/** What the person is told when the link of an invitation cannot be used, by the API's code. */
const PROBLEMS: Record<string, { title: string; text: string }> = {
  invitation_used: {
    title: 'This invitation has been used',
    text: 'An account was already created with this invitation. If it is yours, sign in.',
  },
  invitation_expired: {
    title: 'This invitation has expired',
    text: 'Invitations work for a limited time. Ask the person who invited you to send a new one.',
  },
  invitation_revoked: {
    title: 'This invitation was withdrawn',
    text: 'The people who run this service withdrew it. Ask them for a new one if you still need an account.',
  },
  invalid_invitation: {
    title: 'This invitation link is not valid',
    text: 'Check that you opened the whole link from the email, or ask for a new invitation.',
  },
};

/** `#/invitation/<token>`: what the invitation is for, then the sign-up form with its email fixed. */
export function Invitation() {
  const token = linkToken('invitation');
  const [invited, setInvited] = useState<Invited | null>(null);
  const [problem, setProblem] = useState<{ title: string; text: string } | null>(null);

  useEffect(() => {
    if (!token)
      return setProblem({ title: 'Open your invitation', text: 'This page needs the link from your invitation email: open it again.' });
    unwrap(client.api.invitations.inspect.$post({ json: { token } })).then(
      (r: Invited) => setInvited(r),
      (e: unknown) =>
        setProblem(
          (e instanceof ApiError && PROBLEMS[e.code]) || {
            title: 'The invitation cannot be opened',
            text: messageOf(e),
          },
        ),
    );
  }, [token]);

  if (problem) {
    return (
      <section class="card" aria-labelledby="invitation-title">
        <h1 id="invitation-title">{problem.title}</h1>
        <p role="alert">{problem.text}</p>
        <p>
          <a href="#/">Go to sign in</a>
        </p>
      </section>
    );
  }
  if (!invited || !token) return <p role="status">Opening your invitation…</p>;
  return (
    <SignUpForm
      title="Create your account"
      invitation={{ token, email: invited.email }}
      intro={
        <>
          <p>
            You are invited {invited.role === 'ops' ? 'as a member of the operations team' : 'as a client'}. The invitation works until{' '}
            {formatDate(invited.expiresAt)}.
          </p>
          {session.user && (
            <p>This browser is signed in as {session.user.username}; creating the account signs you in as the new one instead.</p>
          )}
        </>
      }
    />
  );
}
