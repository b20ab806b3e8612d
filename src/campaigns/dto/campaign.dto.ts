import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { IsE164Number, IsMoneyString } from '../../common/validators';

const STATUSES = ['active', 'paused', 'archived'] as const;

export class CreateCampaignDto {
  @ApiProperty() @IsString() @Length(1, 200) name!: string;
  @ApiPropertyOptional({ example: 'auto insurance' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  vertical?: string;
  @ApiPropertyOptional({ enum: STATUSES, default: 'active' })
  @IsOptional()
  @IsIn(STATUSES)
  status?: (typeof STATUSES)[number];
  @ApiPropertyOptional({ description: 'Seconds a visit stays attributable to a later call', default: 86400 })
  @IsOptional()
  @IsInt()
  @Min(60)
  @Max(90 * 86400)
  attributionWindowS?: number;
  @ApiPropertyOptional({ description: 'Talk seconds for a converted (billable) call', default: 90 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(7200)
  conversionSeconds?: number;
  @ApiPropertyOptional({
    description: 'A repeat caller within this window is not routed again to the same buyer',
    default: 86400,
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(365 * 86400)
  dupRoutingWindowS?: number;
  @ApiPropertyOptional({
    description: 'A repeat caller within this window earns no second payout',
    default: 2592000,
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(365 * 86400)
  dupPayoutWindowS?: number;
  @ApiPropertyOptional({ description: 'Hard deadline of the real-time auction, ms', default: 1500 })
  @IsOptional()
  @IsInt()
  @Min(100)
  @Max(10000)
  auctionDeadlineMs?: number;
  @ApiPropertyOptional({ description: 'Lowest acceptable bid', example: '5.00', default: '0.00' })
  @IsOptional()
  @IsMoneyString({ min: '0', max: '100000' })
  floorPrice?: string;
  @ApiPropertyOptional({
    enum: ['masked', 'full'],
    default: 'masked',
    description: 'Caller ID shown to buyers in pings',
  })
  @IsOptional()
  @IsIn(['masked', 'full'])
  callerIdPolicy?: 'masked' | 'full';
  @ApiPropertyOptional({
    type: [String],
    description: 'Numbers on the landing pages that the DNI snippet replaces',
  })
  @IsOptional()
  @ArrayMaxSize(20)
  @IsE164Number({ each: true })
  swapNumbers?: string[];
  @ApiPropertyOptional({ description: 'URL parameter → tag name', example: { kw: 'keyword' } })
  @IsOptional()
  @IsObject()
  paramTags?: Record<string, string>;
  @ApiPropertyOptional({ enum: ['reject', 'message'], default: 'message' })
  @IsOptional()
  @IsIn(['reject', 'message'])
  unroutedAction?: 'reject' | 'message';
  @ApiPropertyOptional({ description: 'Spoken when no buyer can take the call' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  @Matches(/^[^<>]*$/, { message: 'unroutedMessage must be plain text' })
  unroutedMessage?: string;
  @ApiPropertyOptional({
    description: 'Spoken to the caller while the buyers bid (empty: silence)',
    example: 'Please hold while we connect you.',
    default: '',
  })
  @IsOptional()
  @IsString()
  @MaxLength(300)
  @Matches(/^[^<>]*$/, { message: 'holdMessage must be plain text' })
  holdMessage?: string;
}

export class UpdateCampaignDto extends PartialType(CreateCampaignDto) {}

export class CampaignResponseDto {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() vertical!: string;
  @ApiProperty({ enum: STATUSES }) status!: string;
  @ApiProperty({ description: 'Key the DNI snippet carries' }) publicKey!: string;
  @ApiProperty() attributionWindowS!: number;
  @ApiProperty() conversionSeconds!: number;
  @ApiProperty() dupRoutingWindowS!: number;
  @ApiProperty() dupPayoutWindowS!: number;
  @ApiProperty() auctionDeadlineMs!: number;
  @ApiProperty() floorPrice!: string;
  @ApiProperty({ enum: ['masked', 'full'] }) callerIdPolicy!: string;
  @ApiProperty({ type: [String] }) swapNumbers!: string[];
  @ApiProperty() paramTags!: Record<string, string>;
  @ApiProperty() unroutedAction!: string;
  @ApiProperty() unroutedMessage!: string;
  @ApiProperty() holdMessage!: string;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;
}
