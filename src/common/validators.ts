// Custom class-validator decorators shared by the DTOs: money strings, E.164 numbers, destinations. Each
// delegates to a pure check whose message says what is expected (the validation pipe prefixes the field
// path), so services and the auction can apply the same rules outside a DTO.
import { ValidationOptions, registerDecorator } from 'class-validator';
import { isMoney, parseMoney } from './money';
import { normaliseDestination, toE164 } from './phone';

/** A decorator from a check that returns why a value is wrong, or undefined when it is fine. */
export function check(
  name: string,
  problem: (value: unknown) => string | undefined,
  options?: ValidationOptions,
) {
  return (object: object, propertyName: string | symbol) =>
    registerDecorator({
      name,
      target: object.constructor,
      propertyName: propertyName as string,
      options: { message: (a) => problem(a.value) ?? 'is invalid', ...options },
      validator: { validate: (value: unknown) => problem(value) === undefined },
    });
}

/** Why `value` is not a money string (within [min, max] when given), or undefined. */
export function moneyProblem(value: unknown, min?: string, max?: string): string | undefined {
  const range = min !== undefined && max !== undefined ? ` from ${min} to ${max}` : '';
  const expected = `must be a decimal string such as "12.50" (at most 4 decimals)${range}`;
  if (typeof value !== 'string') return `${expected}; got a ${value === null ? 'null' : typeof value}`;
  if (!isMoney(value)) return expected;
  const m = parseMoney(value);
  if (min !== undefined && m < parseMoney(min)) return expected;
  if (max !== undefined && m > parseMoney(max)) return expected;
  return undefined;
}

/** A money amount as a decimal string (never a JSON number), within [min, max] when given. */
export const IsMoneyString = (opts: { min?: string; max?: string } = {}, options?: ValidationOptions) =>
  check('isMoneyString', (v) => moneyProblem(v, opts.min, opts.max), options);

export const IsE164Number = (options?: ValidationOptions) =>
  check(
    'isE164Number',
    (v) =>
      typeof v === 'string' && toE164(v) !== undefined
        ? undefined
        : 'must be a valid phone number, such as +13125550123 or (312) 555-0123',
    options,
  );

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

/** Drops keys whose value is undefined (DTO instances declare every optional field). */
export function defined<T extends object>(obj: T): Partial<T> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as Partial<T>;
}
