// Request and response shapes for targets. Nested objects are classes validated with @ValidateNested +
// @Type, so the global pipe rejects unknown fields at every depth. Rules that span fields (kind vs
// destination/revenue/ping) are checked by target-rules.ts after a PATCH is merged.
import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { PageQueryDto } from '../../common/pagination';
import { IsIanaTimeZone, SCHEDULE_END, SCHEDULE_MAX_WINDOWS, SCHEDULE_START } from '../../common/schedule';
import {
  FILTER_OPS,
  FILTER_VALUES_MAX,
  FILTER_VALUE_MAX,
  IsFilterValue,
  IsFilterValues,
  MAX_FILTERS,
  TAG_NAME,
  type FilterOp,
} from '../../common/tag-filter';
import { IsHandlebarsTemplate, TEMPLATE_MAX_BYTES } from '../../common/templates';
import { RECORD_STATUSES, type RecordStatus } from '../buyer.entity';
import {
  DEFAULT_CONTENT_TYPE,
  EXPIRY_UNITS,
  HTTP_METHODS,
  MAX_HEADERS,
  PING_TIMEOUT_DEFAULT_MS,
  PING_TIMEOUT_MAX_MS,
  PING_TIMEOUT_MIN_MS,
  URL_MAX_LENGTH,
  type ExpiryUnit,
  type PingMethod,
} from '../ping-spec';
import { TARGET_KINDS, type TargetKind } from '../target.entity';
import { IsDestination, IsMoneyString } from '../../common/validators';
import {
  IsContentType,
  IsHeaderMap,
  IsJsonPath,
  IsRequestUrl,
  IsSafeRegex,
  OptionalNotNull,
} from './validators';

const MAX_COUNT = 1_000_000_000;
const MONEY_CAP_MAX = '999999999';
export const REVENUE_MAX = '100000';

// --- caps -------------------------------------------------------------------------------------------

export class CountCapsDto {
  @ApiPropertyOptional({ minimum: 0 }) @OptionalNotNull() @IsInt() @Min(0) @Max(MAX_COUNT) hour?: number;
  @ApiPropertyOptional({ minimum: 0 }) @OptionalNotNull() @IsInt() @Min(0) @Max(MAX_COUNT) day?: number;
  @ApiPropertyOptional({ minimum: 0 }) @OptionalNotNull() @IsInt() @Min(0) @Max(MAX_COUNT) month?: number;
  @ApiPropertyOptional({ minimum: 0 }) @OptionalNotNull() @IsInt() @Min(0) @Max(MAX_COUNT) total?: number;
}

export class MoneyCapsDto {
  @ApiPropertyOptional({ example: '500.00' })
  @OptionalNotNull()
  @IsMoneyString({ min: '0', max: MONEY_CAP_MAX })
  hour?: string;
  @ApiPropertyOptional({ example: '500.00' })
  @OptionalNotNull()
  @IsMoneyString({ min: '0', max: MONEY_CAP_MAX })
  day?: string;
  @ApiPropertyOptional({ example: '500.00' })
  @OptionalNotNull()
  @IsMoneyString({ min: '0', max: MONEY_CAP_MAX })
  month?: string;
  @ApiPropertyOptional({ example: '500.00' })
  @OptionalNotNull()
  @IsMoneyString({ min: '0', max: MONEY_CAP_MAX })
  total?: string;
}

export class CapsDto {
  @ApiPropertyOptional({ type: CountCapsDto, description: 'Calls routed to the target per period' })
  @OptionalNotNull()
  @ValidateNested()
  @Type(() => CountCapsDto)
  calls?: CountCapsDto;

  @ApiPropertyOptional({ type: CountCapsDto, description: 'Converted calls per period' })
  @OptionalNotNull()
  @ValidateNested()
  @Type(() => CountCapsDto)
  conversions?: CountCapsDto;

  @ApiPropertyOptional({ type: MoneyCapsDto, description: 'Revenue per period, decimal strings' })
  @OptionalNotNull()
  @ValidateNested()
  @Type(() => MoneyCapsDto)
  revenue?: MoneyCapsDto;
}

// --- schedule and filters ---------------------------------------------------------------------------

export class ScheduleWindowDto {
  @ApiProperty({
    type: [Number],
    example: [1, 2, 3, 4, 5],
    description: 'ISO weekdays the window starts on, 1 = Monday',
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(7)
  @ArrayUnique()
  @IsInt({ each: true })
  @Min(1, { each: true })
  @Max(7, { each: true })
  days!: number[];

  @ApiProperty({ example: '09:00' })
  @IsString()
  @Matches(SCHEDULE_START, { message: 'start must be a time HH:mm' })
  start!: string;

  @ApiProperty({
    example: '17:00',
    description: 'At or before start: the window ends the next day; 24:00 allowed',
  })
  @IsString()
  @Matches(SCHEDULE_END, { message: 'end must be a time HH:mm (or 24:00)' })
  end!: string;
}

export class ScheduleDto {
  @ApiProperty({ example: 'America/New_York' }) @IsString() @IsIanaTimeZone() timezone!: string;

  @ApiProperty({ type: [ScheduleWindowDto] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(SCHEDULE_MAX_WINDOWS)
  @ValidateNested({ each: true })
  @Type(() => ScheduleWindowDto)
  windows!: ScheduleWindowDto[];
}

export class TagFilterDto {
  @ApiProperty({ example: 'caller_state', description: 'Geo: caller_state, caller_zip, caller_area_code' })
  @IsString()
  @Matches(TAG_NAME, { message: 'tag must be a tag name (letters, digits, _ . : -, at most 64)' })
  tag!: string;

  @ApiProperty({ enum: FILTER_OPS }) @IsIn(FILTER_OPS) op!: FilterOp;

  @ApiPropertyOptional({
    maxLength: FILTER_VALUE_MAX,
    description: 'For equals, not_equals, regex and the numeric gt/gte/lt/lte (decimal string)',
  })
  @IsFilterValue()
  value?: string;

  @ApiPropertyOptional({ type: [String], maxItems: FILTER_VALUES_MAX, description: 'For in / not_in' })
  @IsFilterValues()
  values?: string[];
}

// --- ping/post --------------------------------------------------------------------------------------

export class AcceptRuleDto {
  @ApiProperty({ example: 'accepted' }) @IsJsonPath() path!: string;
  @ApiPropertyOptional({ example: 'true', description: 'Accepted when equal (case-insensitive)' })
  @OptionalNotNull()
  @IsString()
  @MaxLength(200)
  value?: string;
  @ApiPropertyOptional({ description: 'Accepted when the value matches' })
  @OptionalNotNull()
  @IsSafeRegex()
  regex?: string;
}

export class ValueRuleDto {
  @ApiProperty({ example: 'data.bid' }) @IsJsonPath() path!: string;
  @ApiPropertyOptional({ description: 'Keeps the first capture group (or the whole match) of the value' })
  @OptionalNotNull()
  @IsSafeRegex()
  regex?: string;
}

export class ExpiryRuleDto {
  @ApiProperty({ example: 'expireInSeconds' }) @IsJsonPath() path!: string;
  @ApiProperty({ enum: EXPIRY_UNITS, description: 'seconds from now, or a timestamp (ISO 8601 / epoch)' })
  @IsIn(EXPIRY_UNITS)
  unit!: ExpiryUnit;
}

export class ParseRulesDto {
  @ApiPropertyOptional({ type: AcceptRuleDto, description: 'Absent: a response with a bid is accepted' })
  @OptionalNotNull()
  @ValidateNested()
  @Type(() => AcceptRuleDto)
  accepted?: AcceptRuleDto;

  @ApiPropertyOptional({
    type: ValueRuleDto,
    description: "Bid amount; absent: the target's revenue is the bid",
  })
  @OptionalNotNull()
  @ValidateNested()
  @Type(() => ValueRuleDto)
  bid?: ValueRuleDto;

  @ApiPropertyOptional({
    type: ValueRuleDto,
    description: "Number or SIP URI; absent: the target's destination",
  })
  @OptionalNotNull()
  @ValidateNested()
  @Type(() => ValueRuleDto)
  destination?: ValueRuleDto;

  @ApiPropertyOptional({ type: ValueRuleDto })
  @OptionalNotNull()
  @ValidateNested()
  @Type(() => ValueRuleDto)
  bidId?: ValueRuleDto;

  @ApiPropertyOptional({ type: ExpiryRuleDto })
  @OptionalNotNull()
  @ValidateNested()
  @Type(() => ExpiryRuleDto)
  expiry?: ExpiryRuleDto;

  @ApiPropertyOptional({
    type: ValueRuleDto,
    description: 'Talk seconds the buyer requires for a conversion',
  })
  @OptionalNotNull()
  @ValidateNested()
  @Type(() => ValueRuleDto)
  requiredTalkSeconds?: ValueRuleDto;
}

class HttpRequestDto {
  @ApiProperty({
    maxLength: URL_MAX_LENGTH,
    example: 'https://buyer.example.com/ping',
    description: 'http(s); Handlebars tokens allowed after the host, rendered URL-escaped',
  })
  @IsRequestUrl()
  url!: string;

  @ApiPropertyOptional({ enum: HTTP_METHODS, default: 'POST' })
  @OptionalNotNull()
  @IsIn(HTTP_METHODS)
  method?: PingMethod;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string' },
    maxProperties: MAX_HEADERS,
    example: { Authorization: 'Bearer buyer-token' },
  })
  @OptionalNotNull()
  @IsHeaderMap()
  headers?: Record<string, string>;

  @ApiPropertyOptional({
    nullable: true,
    maxLength: TEMPLATE_MAX_BYTES,
    example: '{"caller_zip":"{{caller_zip}}","state":"{{caller_state}}"}',
    description: "Handlebars over the call's tags; values escaped for contentType",
  })
  @IsOptional()
  @IsHandlebarsTemplate()
  bodyTemplate?: string | null;

  @ApiPropertyOptional({ default: DEFAULT_CONTENT_TYPE })
  @OptionalNotNull()
  @IsContentType()
  contentType?: string;

  @ApiPropertyOptional({
    minimum: PING_TIMEOUT_MIN_MS,
    maximum: PING_TIMEOUT_MAX_MS,
    default: PING_TIMEOUT_DEFAULT_MS,
  })
  @OptionalNotNull()
  @IsInt()
  @Min(PING_TIMEOUT_MIN_MS)
  @Max(PING_TIMEOUT_MAX_MS)
  timeoutMs?: number;
}

export class ConfirmRequestDto extends HttpRequestDto {
  @ApiPropertyOptional({
    nullable: true,
    description: 'Where the acceptance flag is; absent: any 2xx confirms',
  })
  @IsOptional()
  @IsJsonPath()
  acceptPath?: string | null;

  @ApiPropertyOptional({
    nullable: true,
    description: 'Value meaning accepted (case-insensitive); absent: truthy',
  })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  acceptValue?: string | null;
}

export class PingRequestDto extends HttpRequestDto {
  @ApiProperty({ type: ParseRulesDto, description: 'Where to find each field in the response' })
  @IsObject()
  @ValidateNested()
  @Type(() => ParseRulesDto)
  parse!: ParseRulesDto;

  @ApiPropertyOptional({
    type: ConfirmRequestDto,
    nullable: true,
    description: 'Optional post to the winner',
  })
  @IsOptional()
  @ValidateNested()
  @Type(() => ConfirmRequestDto)
  confirm?: ConfirmRequestDto | null;
}

// --- targets ----------------------------------------------------------------------------------------

export class CreateTargetDto {
  @ApiProperty({ example: 'Acme – auto insurance' }) @IsString() @Length(1, 200) name!: string;

  @ApiProperty({ enum: TARGET_KINDS }) @IsIn(TARGET_KINDS) kind!: TargetKind;

  @ApiPropertyOptional({ enum: RECORD_STATUSES, default: 'active' })
  @OptionalNotNull()
  @IsIn(RECORD_STATUSES)
  status?: RecordStatus;

  @ApiPropertyOptional({
    nullable: true,
    example: '+12125550123',
    description:
      'E.164 number or SIP URI. Required for static; for ping_post, the fallback when the response has none',
  })
  @IsOptional()
  @IsDestination()
  destination?: string | null;

  @ApiPropertyOptional({
    nullable: true,
    example: '35.00',
    description: `Decimal string 0–${REVENUE_MAX}. Static: revenue per converted call (required). Ping/post: the fixed bid when parse.bid is absent`,
  })
  @IsOptional()
  @IsMoneyString({ min: '0', max: REVENUE_MAX })
  revenue?: string | null;

  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 1, description: '1 is tried first' })
  @OptionalNotNull()
  @IsInt()
  @Min(1)
  @Max(100)
  priority?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 1, description: 'Share within a priority' })
  @OptionalNotNull()
  @IsInt()
  @Min(1)
  @Max(1000)
  weight?: number;

  @ApiPropertyOptional({
    nullable: true,
    minimum: 0,
    maximum: 7200,
    description: "null: the campaign's default",
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(7200)
  conversionSeconds?: number | null;

  @ApiPropertyOptional({ minimum: 5, maximum: 120, default: 30 })
  @OptionalNotNull()
  @IsInt()
  @Min(5)
  @Max(120)
  ringTimeoutS?: number;

  @ApiPropertyOptional({ type: CapsDto, default: {} })
  @OptionalNotNull()
  @ValidateNested()
  @Type(() => CapsDto)
  caps?: CapsDto;

  @ApiPropertyOptional({
    nullable: true,
    minimum: 1,
    maximum: 10000,
    description: 'Live calls at once; null: no cap',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(10000)
  concurrencyCap?: number | null;

  @ApiPropertyOptional({
    type: ScheduleDto,
    nullable: true,
    description: 'Hours of operation; null: always open',
  })
  @IsOptional()
  @ValidateNested()
  @Type(() => ScheduleDto)
  schedule?: ScheduleDto | null;

  @ApiPropertyOptional({ type: [TagFilterDto], maxItems: MAX_FILTERS, description: 'All must match' })
  @OptionalNotNull()
  @IsArray()
  @ArrayMaxSize(MAX_FILTERS)
  @ValidateNested({ each: true })
  @Type(() => TagFilterDto)
  filters?: TagFilterDto[];

  @ApiPropertyOptional({ minimum: 0, maximum: 3600, default: 0, description: 'Seconds a bid may be reused' })
  @OptionalNotNull()
  @IsInt()
  @Min(0)
  @Max(3600)
  cacheWindowS?: number;

  @ApiPropertyOptional({ type: PingRequestDto, nullable: true, description: 'Required for ping_post' })
  @IsOptional()
  @ValidateNested()
  @Type(() => PingRequestDto)
  ping?: PingRequestDto | null;

  @ApiPropertyOptional({
    type: [String],
    format: 'uuid',
    description: 'Campaigns that may route to the target',
  })
  @OptionalNotNull()
  @IsArray()
  @ArrayMaxSize(500)
  @IsUUID('all', { each: true })
  campaignIds?: string[];
}

/** Every field optional; null clears the nullable ones (destination, revenue, schedule, caps…). */
export class UpdateTargetDto extends PartialType(CreateTargetDto, { skipNullProperties: false }) {}

export class TargetListQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: RECORD_STATUSES }) @IsOptional() @IsIn(RECORD_STATUSES) status?: RecordStatus;
  @ApiPropertyOptional({ enum: TARGET_KINDS }) @IsOptional() @IsIn(TARGET_KINDS) kind?: TargetKind;
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID() buyerId?: string;
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID() campaignId?: string;
}

export class TargetResponseDto {
  @ApiProperty() id!: string;
  @ApiProperty() buyerId!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: TARGET_KINDS }) kind!: TargetKind;
  @ApiProperty({ enum: RECORD_STATUSES }) status!: RecordStatus;
  @ApiProperty({ nullable: true, type: String }) destination!: string | null;
  @ApiProperty({ nullable: true, type: String, example: '35.00' }) revenue!: string | null;
  @ApiProperty() priority!: number;
  @ApiProperty() weight!: number;
  @ApiProperty({ nullable: true, type: Number }) conversionSeconds!: number | null;
  @ApiProperty() ringTimeoutS!: number;
  @ApiProperty({ type: CapsDto }) caps!: CapsDto;
  @ApiProperty({ nullable: true, type: Number }) concurrencyCap!: number | null;
  @ApiProperty({ type: ScheduleDto, nullable: true }) schedule!: ScheduleDto | null;
  @ApiProperty({ type: [TagFilterDto] }) filters!: TagFilterDto[];
  @ApiProperty() cacheWindowS!: number;
  @ApiProperty({ type: PingRequestDto, nullable: true }) ping!: PingRequestDto | null;
  @ApiProperty({ type: [String] }) campaignIds!: string[];
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;
}

export class TargetPageDto {
  @ApiProperty({ type: [TargetResponseDto] }) items!: TargetResponseDto[];
  @ApiProperty() page!: number;
  @ApiProperty() limit!: number;
  @ApiProperty() total!: number;
}
