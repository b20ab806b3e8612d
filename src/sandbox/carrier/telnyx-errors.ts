// Telnyx's error body ({ errors: [{ code, title, detail, source }] }, code a string) and the codes the
// sandbox answers with. Codes and wording come from the 422/400/401 examples in Telnyx's OpenAPI spec
// (see reference/telnyx-call-control.md §3.3), so an app's error handling behaves the same here.

export interface TelnyxErrorObject {
  code: string;
  title: string;
  detail?: string;
  source?: { pointer?: string; parameter?: string };
  meta?: { url?: string };
}

export class TelnyxApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly errors: TelnyxErrorObject[],
  ) {
    super(`${statusCode} ${errors.map((e) => `${e.code} ${e.title}`).join('; ')}`);
    this.name = 'TelnyxApiError';
  }

  toBody(): { errors: TelnyxErrorObject[] } {
    return { errors: this.errors };
  }
}

function single(statusCode: number, error: TelnyxErrorObject): TelnyxApiError {
  return new TelnyxApiError(statusCode, [error]);
}

export const telnyxErrors = {
  callEnded: () =>
    single(422, {
      code: '90018',
      title: 'Call has already ended',
      detail: "This call is no longer active and can't receive commands.",
    }),
  callNotAnswered: () =>
    single(422, {
      code: '90034',
      title: 'Call not answered yet',
      detail: "This call can't receive this command because it has not been answered yet.",
    }),
  recordingBeforeAudio: () =>
    single(422, {
      code: '90020',
      title: 'Call recording triggered before audio started',
      detail: 'Call recording cannot be started until audio has commenced on the call.',
    }),
  invalidCallControlId: (pointer = '/call_control_id') =>
    single(422, {
      code: '90015',
      title: 'Invalid Call Control ID',
      detail: 'The call_control_id provided was not valid.',
      source: { pointer },
    }),
  missingParameter: (name: string) =>
    single(422, {
      code: '10004',
      title: 'Missing required parameter',
      detail: `The '${name}' parameter is required and cannot be blank.`,
      source: { pointer: `/${name}` },
    }),
  invalidEnum: (name: string, values: readonly string[]) =>
    single(422, {
      code: '10032',
      title: 'Invalid enumerated value',
      detail: `The value must be one of: ${values.join(', ')}.`,
      source: { pointer: `/${name}` },
    }),
  outOfRange: (name: string, min: number, max: number) =>
    single(422, {
      code: '10033',
      title: 'Value outside of range',
      detail: `The value is outside of allowed range ${min} to ${max}`,
      source: { pointer: `/${name}` },
    }),
  notE164: (name: string) =>
    single(422, {
      code: '10016',
      title: 'Phone number must be in +E164 format',
      detail: `The '${name}' parameter must be in E164 format.`,
      source: { pointer: `/${name}` },
    }),
  invalidType: (name: string, type: string) =>
    single(422, {
      code: '10015',
      title: 'Bad Request',
      detail: `The '${name}' parameter must be ${type}.`,
      source: { pointer: `/${name}` },
    }),
  invalidConnectionId: () =>
    single(422, {
      code: '10015',
      title: 'Invalid value for connection_id (Call Control App ID)',
      detail:
        'The requested connection_id (Call Control App ID) is either invalid or does not exist. Only Call Control Apps with valid webhook URL are accepted.',
      source: { pointer: '/connection_id' },
    }),
  unsupportedCommand: (detail: string) => single(422, { code: '10015', title: 'Bad Request', detail }),
  badRequest: (detail: string) => single(400, { code: '10015', title: 'Bad Request', detail }),
  unauthorized: () =>
    single(401, {
      code: '10009',
      title: 'Authentication failed',
      detail: 'Could not understand the provided credentials.',
      meta: { url: 'https://developers.telnyx.com/docs/overview/errors/10009' },
    }),
  notFound: (detail: string) => single(404, { code: '10005', title: 'Resource not found', detail }),
  internal: () =>
    single(500, { code: '10007', title: 'Internal server error', detail: 'Internal server error' }),
};
