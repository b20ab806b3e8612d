import { APIConnectionError, APIConnectionTimeoutError, APIError } from 'telnyx';
import { classifyError } from './call-control.service';

const apiError = (status: number, code?: string) =>
  APIError.generate(
    status,
    code ? { errors: [{ code, title: 'title', detail: 'detail' }] } : undefined,
    undefined,
    new Headers(),
  );

describe('classifyError', () => {
  it('treats "call has already ended" and unknown calls as ended', () => {
    expect(classifyError(apiError(422, '90018'))).toMatchObject({
      kind: 'ended',
      status: 422,
      code: '90018',
    });
    expect(classifyError(apiError(404, '10005'))).toMatchObject({ kind: 'ended' });
  });
  it('retries rate limits, server errors, timeouts and connection failures', () => {
    for (const s of [408, 409, 429, 500, 503])
      expect(classifyError(apiError(s, '10007')).kind).toBe('retryable');
    expect(classifyError(new APIConnectionTimeoutError()).kind).toBe('retryable');
    expect(classifyError(new APIConnectionError({ message: 'boom' })).kind).toBe('retryable');
  });
  it('gives up on other client errors', () => {
    expect(classifyError(apiError(422, '90034'))).toMatchObject({ kind: 'rejected', code: '90034' });
    expect(classifyError(apiError(400, '10015')).kind).toBe('rejected');
    expect(classifyError(apiError(401, '10009')).kind).toBe('rejected');
  });
});
