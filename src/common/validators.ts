// Custom class-validator decorators shared by the DTOs: money strings, E.164 numbers, destinations.
import { ValidationOptions, registerDecorator } from 'class-validator';
import { isMoney, parseMoney } from './money';
import { normaliseDestination, toE164 } from './phone';

export function IsMoneyString(opts: { min?: string; max?: string } = {}, validation?: ValidationOptions) {
  return (object: object, propertyName: string) =>
    registerDecorator({
      name: 'isMoneyString',
      target: object.constructor,
      propertyName,
      options: {
        message: `${propertyName} must be a decimal string with at most 4 decimals${opts.min !== undefined ? ` between ${opts.min} and ${opts.max}` : ''}`,
        ...validation,
      },
      validator: {
        validate(value: unknown) {
          if (!isMoney(value)) return false;
          const v = parseMoney(value);
          if (opts.min !== undefined && v < parseMoney(opts.min)) return false;
          if (opts.max !== undefined && v > parseMoney(opts.max)) return false;
          return true;
        },
      },
    });
}

export function IsE164Number(validation?: ValidationOptions) {
  return (object: object, propertyName: string) =>
    registerDecorator({
      name: 'isE164Number',
      target: object.constructor,
      propertyName,
      options: { message: `${propertyName} must be a valid phone number`, ...validation },
      validator: { validate: (value: unknown) => typeof value === 'string' && toE164(value) !== undefined },
    });
}

export function IsDestination(validation?: ValidationOptions) {
  return (object: object, propertyName: string) =>
    registerDecorator({
      name: 'isDestination',
      target: object.constructor,
      propertyName,
      options: { message: `${propertyName} must be an E.164 phone number or a SIP URI`, ...validation },
      validator: {
        validate: (value: unknown) => typeof value === 'string' && normaliseDestination(value) !== undefined,
      },
    });
}

/** Drops keys whose value is undefined (DTO instances declare every optional field). */
export function defined<T extends object>(obj: T): Partial<T> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as Partial<T>;
}
