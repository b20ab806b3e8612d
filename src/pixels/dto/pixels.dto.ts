import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayNotEmpty,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  MaxLength,
} from 'class-validator';
import { PageQueryDto } from '../../common/pagination';
import { IsHandlebarsTemplate } from '../../common/templates';
import { PIXEL_EVENTS, type PixelEvent } from '../pixel-context';
import type { DeliveryStatus } from '../pixel-delivery.entity';

const METHODS = ['GET', 'POST', 'PUT', 'PATCH'] as const;
const STATUSES = ['pending', 'delivered', 'failed'] as const;

const TEMPLATE_DOC =
  'Handlebars over the call: call_id, event, campaign_id, campaign_name, publisher_id, buyer_id, target_id, ' +
  'tracking_number, caller, caller_state, state, connected, converted, duplicate, started_at, connected_at, ' +
  'ended_at, talk_seconds, duration_seconds, revenue, payout, profit, utm_source…utm_content, gclid, fbclid, ' +
  'msclkid, landing_page, referrer, tags.<name>. Values are escaped for where they land (URL, JSON, form, XML).';

export class CreatePixelDto {
  @ApiProperty() @IsString() @Length(1, 200) name!: string;

  @ApiPropertyOptional({
    description: 'Only calls of this campaign (any campaign when absent)',
    nullable: true,
  })
  @IsOptional()
  @IsUUID()
  campaignId?: string | null;

  @ApiPropertyOptional({
    description: 'Only calls of this publisher (any publisher when absent)',
    nullable: true,
  })
  @IsOptional()
  @IsUUID()
  publisherId?: string | null;

  @ApiProperty({ enum: PIXEL_EVENTS, isArray: true, example: ['converted'] })
  @IsArray()
  @ArrayNotEmpty()
  @ArrayUnique()
  @IsIn(PIXEL_EVENTS, { each: true })
  events!: PixelEvent[];

  @ApiProperty({ enum: METHODS }) @IsIn(METHODS) method!: (typeof METHODS)[number];

  @ApiProperty({
    example: 'https://tracker.example.com/postback?click={{gclid}}&payout={{payout}}',
    description: TEMPLATE_DOC,
  })
  @IsString()
  @Length(1, 4096)
  @IsHandlebarsTemplate()
  url!: string;

  @ApiPropertyOptional({ description: `Request body (POST/PUT/PATCH). ${TEMPLATE_DOC}`, nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(16 * 1024)
  @IsHandlebarsTemplate()
  body?: string | null;

  @ApiPropertyOptional({
    example: 'application/json',
    description: 'Content type of the body (default JSON)',
  })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  contentType?: string | null;

  @ApiPropertyOptional({
    description: 'Static request headers (e.g. an API key of the receiver)',
    example: {},
  })
  @IsOptional()
  @IsObject()
  headers?: Record<string, string>;

  @ApiPropertyOptional({ default: true }) @IsOptional() @IsBoolean() enabled?: boolean;
}

export class UpdatePixelDto extends PartialType(CreatePixelDto) {}

export class PixelResponseDto {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiPropertyOptional({ nullable: true }) campaignId!: string | null;
  @ApiPropertyOptional({ nullable: true }) publisherId!: string | null;
  @ApiProperty({ enum: PIXEL_EVENTS, isArray: true }) events!: PixelEvent[];
  @ApiProperty({ enum: METHODS }) method!: string;
  @ApiProperty() url!: string;
  @ApiPropertyOptional({ nullable: true }) body!: string | null;
  @ApiPropertyOptional({ nullable: true }) contentType!: string | null;
  @ApiProperty() headers!: Record<string, string>;
  @ApiProperty() enabled!: boolean;
  @ApiProperty({
    description:
      'How to verify a request: X-Callbid-Signature = "v1=" + hex HMAC-SHA256(secret, ' +
      '"<X-Callbid-Timestamp>.<METHOD>.<path?query>.<raw body>")',
  })
  signature!: string;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;
}

export class PixelWithSecretResponseDto extends PixelResponseDto {
  @ApiProperty({ description: 'The signing secret. Shown only now; store it at the receiver.' })
  secret!: string;
}

export class DeliveryQueryDto extends PageQueryDto {
  @ApiPropertyOptional() @IsOptional() @IsUUID() pixelId?: string;
  @ApiPropertyOptional() @IsOptional() @IsUUID() callId?: string;
  @ApiPropertyOptional({ enum: STATUSES }) @IsOptional() @IsIn(STATUSES) status?: DeliveryStatus;
  @ApiPropertyOptional({ enum: PIXEL_EVENTS }) @IsOptional() @IsIn(PIXEL_EVENTS) event?: PixelEvent;
}

export class DeliveryAttemptDto {
  @ApiProperty() at!: string;
  @ApiPropertyOptional({ nullable: true }) status!: number | null;
  @ApiProperty() ms!: number;
  @ApiPropertyOptional({ nullable: true }) error!: string | null;
}

export class DeliveryResponseDto {
  @ApiProperty() id!: string;
  @ApiProperty() pixelId!: string;
  @ApiProperty() callId!: string;
  @ApiProperty({ enum: PIXEL_EVENTS }) event!: string;
  @ApiProperty({ enum: STATUSES }) status!: string;
  @ApiProperty() method!: string;
  @ApiProperty() url!: string;
  @ApiPropertyOptional({ nullable: true }) body!: string | null;
  @ApiProperty() attempts!: number;
  @ApiPropertyOptional({ nullable: true }) responseStatus!: number | null;
  @ApiPropertyOptional({ nullable: true }) responseMs!: number | null;
  @ApiPropertyOptional({ nullable: true }) lastError!: string | null;
  @ApiProperty({ type: [DeliveryAttemptDto] }) @Type(() => DeliveryAttemptDto) history!: DeliveryAttemptDto[];
  @ApiProperty() createdAt!: string;
  @ApiPropertyOptional({ nullable: true }) deliveredAt!: string | null;
}
