/**
 * The one error type of the API. Handlers throw it; the app's error handler renders it as
 * RFC 9457 problem+json. Nothing else builds error responses.
 */
export interface FieldProblem {
  path: string;
  message: string;
}

export type ErrorCode =
  | 'validation_failed'
  | 'malformed_json'
  | 'unsupported_media_type'
  | 'payload_too_large'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'method_not_allowed'
  | 'conflict'
  | 'username_taken'
  | 'email_taken'
  | 'unsupported_file_type'
  | 'file_too_large'
  | 'invalid_file_content'
  | 'upload_missing'
  | 'already_completed'
  | 'link_expired'
  | 'download_limit_reached'
  | 'group_name_taken'
  | 'rate_limited'
  | 'csrf_refused'
  | 'invalid_refresh_token'
  | 'refresh_token_reused'
  | 'signup_by_invitation_only'
  | 'invalid_invitation'
  | 'invitation_expired'
  | 'invitation_used'
  | 'invitation_revoked'
  | 'invalid_token'
  | 'wrong_password'
  | 'not_pending'
  | 'cannot_change_self'
  | 'admin_required'
  | 'dependency_unavailable'
  | 'internal_error';

const titles: Record<ErrorCode, string> = {
  validation_failed: 'Validation failed',
  malformed_json: 'Malformed JSON',
  unsupported_media_type: 'Unsupported media type',
  payload_too_large: 'Payload too large',
  unauthenticated: 'Unauthenticated',
  forbidden: 'Forbidden',
  not_found: 'Not found',
  method_not_allowed: 'Method not allowed',
  conflict: 'Conflict',
  username_taken: 'Username taken',
  email_taken: 'Email taken',
  unsupported_file_type: 'Unsupported file type',
  file_too_large: 'File too large',
  invalid_file_content: 'Invalid file content',
  upload_missing: 'Nothing uploaded yet',
  already_completed: 'Upload already completed',
  link_expired: 'Link expired',
  download_limit_reached: 'Download limit reached',
  group_name_taken: 'Group name taken',
  rate_limited: 'Too many requests',
  csrf_refused: 'Cross-site request refused',
  invalid_refresh_token: 'Invalid refresh token',
  refresh_token_reused: 'Refresh token reused',
  signup_by_invitation_only: 'Sign-up by invitation only',
  invalid_invitation: 'Invalid invitation',
  invitation_expired: 'Invitation expired',
  invitation_used: 'Invitation already used',
  invitation_revoked: 'Invitation revoked',
  invalid_token: 'Invalid or expired link',
  wrong_password: 'Wrong password',
  not_pending: 'Not waiting for approval',
  cannot_change_self: 'Not on your own account',
  admin_required: 'Administrators only',
  dependency_unavailable: 'Service unavailable',
  internal_error: 'Internal error',
};

export class ApiError extends Error {
  readonly status: number;
  readonly code: ErrorCode;
  readonly detail: string;
  readonly errors: FieldProblem[] | undefined;
  readonly headers: Record<string, string>;
  /** RFC 9457 extension members, e.g. which dependency failed a health check. */
  readonly extensions: Record<string, unknown>;

  constructor(
    status: number,
    code: ErrorCode,
    detail: string,
    options: { errors?: FieldProblem[]; headers?: Record<string, string>; extensions?: Record<string, unknown> } = {},
  ) {
    super(detail);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.detail = detail;
    this.errors = options.errors;
    this.headers = options.headers ?? {};
    this.extensions = options.extensions ?? {};
  }

  get title(): string {
    return titles[this.code];
  }

  toProblem(): Problem {
    return {
      type: 'about:blank',
      title: this.title,
      status: this.status,
      code: this.code,
      detail: this.detail,
      ...(this.errors ? { errors: this.errors } : {}),
      ...this.extensions,
    };
  }
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: ErrorCode;
  detail: string;
  errors?: FieldProblem[];
  [extension: string]: unknown;
}

export const unauthenticated = (detail = 'Sign in to use this endpoint.') =>
  new ApiError(401, 'unauthenticated', detail, { headers: { 'WWW-Authenticate': 'Bearer' } });

export const forbidden = (detail = 'Your role does not allow this action.') => new ApiError(403, 'forbidden', detail);

export const notFound = (detail = 'No such resource.') => new ApiError(404, 'not_found', detail);

/** The client has made every download its grants allow of this file: a stable 410 for the issuer and the redeemer alike. */
export const downloadLimitReached = () =>
  new ApiError(410, 'download_limit_reached', 'You have used every download of this file you were given; ask for more.');

export const dependencyUnavailable = (dependency: 'database' | 'storage') =>
  new ApiError(503, 'dependency_unavailable', `The ${dependency} is unavailable; nothing was changed. Try again shortly.`, {
    headers: { 'Retry-After': '5' },
  });

/** A failure to reach a dependency (as opposed to a bug), so the error handler answers 503. */
export class DependencyError extends Error {
  readonly dependency: 'database' | 'storage';
  constructor(dependency: 'database' | 'storage', cause: unknown) {
    super(`${dependency} unavailable`, { cause });
    this.name = 'DependencyError';
    this.dependency = dependency;
  }
}
