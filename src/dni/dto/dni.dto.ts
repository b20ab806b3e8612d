// The snippet's wire protocol (dni-snippet/README.md). Everything here comes from strangers'
// browsers: sizes and shapes are bounded before anything touches Redis.
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsOptional,
  IsString,
  Length,
  Matches,
  MaxLength,
  ValidationOptions,
  registerDecorator,
} from 'class-validator';

const SID = /^[A-Za-z0-9_-]{16,64}$/;

/** A flat object of string values with bounded entry count and key/value lengths. */
export function IsBoundedStringMap(
  maxEntries: number,
  maxKey: number,
  maxValue: number,
  options?: ValidationOptions,
) {
  return (object: object, propertyName: string) =>
    registerDecorator({
      name: 'isBoundedStringMap',
      target: object.constructor,
      propertyName,
      options: {
        message: `${propertyName} must be an object of at most ${maxEntries} string values (keys ≤ ${maxKey}, values ≤ ${maxValue} characters)`,
        ...options,
      },
      validator: {
        validate(value: unknown) {
          if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
          const entries = Object.entries(value as Record<string, unknown>);
          if (entries.length > maxEntries) return false;
          return entries.every(
            ([k, v]) => k.length > 0 && k.length <= maxKey && typeof v === 'string' && v.length <= maxValue,
          );
        },
      },
    });
}

export class LeaseRequestDto {
  @ApiProperty({ description: "The campaign's public key" }) @IsString() @Length(1, 64) key!: string;
  @ApiPropertyOptional({ description: 'Visitor session id from an earlier lease' })
  @IsOptional()
  @IsString()
  @Matches(SID, { message: 'sid must be 16–64 characters of A-Z a-z 0-9 _ -' })
  sid?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(2048) page?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(2048) ref?: string;
  @ApiPropertyOptional({ description: 'URL parameters of the landing page' })
  @IsOptional()
  @IsBoundedStringMap(40, 64, 512)
  params?: Record<string, string>;
  @ApiPropertyOptional({ description: 'Custom tags set through the JS API' })
  @IsOptional()
  @IsBoundedStringMap(40, 64, 512)
  tags?: Record<string, string>;
}

export class SessionRequestDto {
  @ApiProperty() @IsString() @Length(1, 64) key!: string;
  @ApiProperty()
  @IsString()
  @Matches(SID, { message: 'sid must be 16–64 characters of A-Z a-z 0-9 _ -' })
  sid!: string;
}

export class ClickRequestDto extends SessionRequestDto {
  @ApiProperty() @IsString() @MaxLength(32) number!: string;
}

export class LeaseResponseDto {
  @ApiProperty() sid!: string;
  @ApiProperty({ nullable: true, description: 'E.164 number to show; null keeps the page number' }) number!:
    string | null;
  @ApiProperty({ description: 'The number is the pool overflow number (no lease)' }) overflow!: boolean;
  @ApiProperty({ type: [String], description: 'Numbers on the page that the snippet replaces' })
  targets!: string[];
  @ApiProperty({ description: 'Seconds the lease lives without a heartbeat' }) ttl!: number;
  @ApiProperty({ description: 'Seconds between heartbeats while the page is visible' }) heartbeat!: number;
}

export class HeartbeatResponseDto {
  @ApiProperty() number!: string;
  @ApiProperty() ttl!: number;
}

export class PoolHealthResponseDto {
  @ApiProperty() poolId!: string;
  @ApiProperty() numbers!: number;
  @ApiProperty() liveLeases!: number;
  @ApiProperty({ description: 'live leases ÷ numbers' }) utilisation!: number;
  @ApiProperty() leaseRequests!: number;
  @ApiProperty({ description: 'requests that found no free number (overflow or none)' }) exhausted!: number;
  @ApiProperty({ description: 'exhausted ÷ lease requests' }) exhaustionRate!: number;
  @ApiProperty() peakConcurrentLeases!: number;
  @ApiProperty({ description: 'mean seconds a lease held its number' }) meanHoldS!: number;
  @ApiProperty({ description: 'offered load in Erlangs: lease rate × (hold + cooldown)' })
  offeredLoad!: number;
  @ApiProperty({ description: 'pool size for ≤ 1% overflow (Erlang B)' }) recommendedSize!: number;
}

export class EmbedResponseDto {
  @ApiProperty({ description: 'The tag to paste into the landing page <head>' }) html!: string;
  @ApiProperty() publicKey!: string;
  @ApiProperty() scriptUrl!: string;
}
