// class-validator decorators for the buyer/target DTOs. Each delegates to a pure check so the service
// and the auction apply the same rules; messages say what is expected, the pipe prefixes the field path.
import { ValidateIf, ValidationOptions, registerDecorator } from 'class-validator';
import { isMoney, parseMoney } from '../../common/money';
import { normaliseDestination } from '../../common/phone';
import { regexProblem } from '../../common/tag-filter';
import { headersProblem, isContentType, parseJsonPath, requestUrlProblem } from '../ping-spec';

/** Optional, but when present it must not be null (for columns that are NOT NULL). */
export const OptionalNotNull = () => ValidateIf((_: object, v: unknown) => v !== undefined);

function check(name: string, problem: (value: unknown) => string | undefined, options?: ValidationOptions) {
  return (object: object, propertyName: string | symbol) =>
    registerDecorator({
      name,
      target: object.constructor,
      propertyName: propertyName as string,
      options: { message: (a) => problem(a.value) ?? 'is invalid', ...options },
      validator: { validate: (value: unknown) => problem(value) === undefined },
    });
}

/** Why `value` is not a money string within [min, max], or undefined. */
export function moneyProblem(value: unknown, min: string, max: string): string | undefined {
  const expected = `must be a decimal string such as "12.50" (at most 4 decimals) from ${min} to ${max}`;
  if (typeof value !== 'string') return `${expected}; got a ${value === null ? 'null' : typeof value}`;
  if (!isMoney(value)) return expected;
  const m = parseMoney(value);
  return m < parseMoney(min) || m > parseMoney(max) ? expected : undefined;
}

/** A money amount as a decimal string (never a JSON number), within [min, max]. */
export const IsMoneyString = (min: string, max: string, options?: ValidationOptions) =>
  check('isMoneyString', (v) => moneyProblem(v, min, max), options);

/** An E.164 number (any common format, normalised on save) or a SIP URI. */
export const IsDestination = (options?: ValidationOptions) =>
  check(
    'isDestination',
    (v) =>
      typeof v === 'string' && normaliseDestination(v) !== undefined
        ? undefined
        : 'must be a valid phone number in E.164 (+12125550123) or a SIP URI (sip:agent@pbx.example.com)',
    options,
  );

export const IsHeaderMap = (options?: ValidationOptions) => check('isHeaderMap', headersProblem, options);

export const IsRequestUrl = (options?: ValidationOptions) =>
  check('isRequestUrl', requestUrlProblem, options);

export const IsJsonPath = (options?: ValidationOptions) =>
  check(
    'isJsonPath',
    (v) =>
      parseJsonPath(v)
        ? undefined
        : 'must be a JSON path such as data.bid, bids[0].amount, result["phone number"] or $ (whole body)',
    options,
  );

/** A regex that compiles and passes the catastrophic-backtracking check (see common/tag-filter). */
export const IsSafeRegex = (options?: ValidationOptions) => check('isSafeRegex', regexProblem, options);

export const IsContentType = (options?: ValidationOptions) =>
  check(
    'isContentType',
    (v) =>
      isContentType(v) ? undefined : 'must be a media type such as application/json (at most 100 characters)',
    options,
  );
