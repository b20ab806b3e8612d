// class-validator decorators of the buyer/target DTOs (ping specs: headers, URLs, JSON paths, regexes,
// media types); money and destinations come from common/validators. Each delegates to a pure check so
// the service and the auction apply the same rules.
import { ValidateIf, ValidationOptions } from 'class-validator';
import { check } from '../../common/validators';
import { regexProblem } from '../../common/tag-filter';
import { headersProblem, isContentType, parseJsonPath, requestUrlProblem } from '../ping-spec';

/** Optional, but when present it must not be null (for columns that are NOT NULL). */
export const OptionalNotNull = () => ValidateIf((_: object, v: unknown) => v !== undefined);

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
