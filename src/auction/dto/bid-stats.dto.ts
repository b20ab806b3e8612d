import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsISO8601, IsOptional, Max, Min } from 'class-validator';

export class BidStatsQueryDto {
  @ApiPropertyOptional({ description: 'Start of the window (ISO 8601); default: 7 days before `to`' })
  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;

  @ApiPropertyOptional({ description: 'End of the window, exclusive (ISO 8601); default: now' })
  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;
}

export class BidLogQueryDto extends BidStatsQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;
}

export class LatencyDto {
  @ApiProperty({ description: 'Median ping latency, ms' }) p50!: number;
  @ApiProperty({ description: '99th percentile ping latency, ms' }) p99!: number;
}

export class BidFiguresDto {
  @ApiProperty({ description: 'HTTP pings sent (cached and static participations excluded)' }) pings!: number;
  @ApiProperty({ description: 'Bids reused from the cache instead of a ping' }) cachedBids!: number;
  @ApiProperty({ description: 'Valid bids (pinged, cached or static fixed revenue)' }) bids!: number;
  @ApiProperty({ description: 'Answers that were not valid bids' }) rejected!: number;
  @ApiProperty({ description: 'Bids the call was given to' }) wins!: number;
  @ApiProperty({ description: 'Pings cut by their own timeout or the auction deadline' }) timeouts!: number;
  @ApiProperty({ description: 'wins / bids (0 when no bids)' }) winRate!: number;
  @ApiProperty({ type: LatencyDto }) latencyMs!: LatencyDto;
  @ApiProperty({ example: '125.50', description: 'Sum of the winning bids' }) wonBids!: string;
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'number' },
    example: { timeout: 3, below_floor: 1 },
    description: 'Rejections by reason code',
  })
  rejectReasons!: Record<string, number>;
}

export class TargetBidStatsDto extends BidFiguresDto {
  @ApiProperty() targetId!: string;
  @ApiProperty() from!: string;
  @ApiProperty() to!: string;
}

export class BuyerBidStatsDto {
  @ApiProperty() buyerId!: string;
  @ApiProperty() from!: string;
  @ApiProperty() to!: string;
  @ApiProperty({ type: BidFiguresDto }) totals!: BidFiguresDto;
  @ApiProperty({ type: [TargetBidStatsDto] }) targets!: TargetBidStatsDto[];
}

export class BidLogEntryDto {
  @ApiProperty() pingId!: string;
  @ApiProperty() auctionId!: string;
  @ApiProperty() callId!: string;
  @ApiProperty() campaignId!: string;
  @ApiProperty() targetId!: string;
  @ApiProperty({ enum: ['static', 'ping_post'] }) kind!: string;
  @ApiProperty({ description: 'sha256 of method, URL and body (first 32 hex digits)' }) requestHash!: string;
  @ApiProperty() latencyMs!: number;
  @ApiProperty({ description: '0 when no response was read' }) httpStatus!: number;
  @ApiProperty({ enum: ['bid', 'rejected'] }) outcome!: string;
  @ApiProperty({ description: "Reject reason code; '' for a valid bid" }) reason!: string;
  @ApiProperty({ nullable: true, type: String }) bid!: string | null;
  @ApiProperty({ nullable: true, type: String }) bidId!: string | null;
  @ApiProperty({ description: 'Place among the valid bids, 1 = best; 0 when rejected' }) rank!: number;
  @ApiProperty() cached!: boolean;
  @ApiProperty() won!: boolean;
  @ApiProperty({
    description: "What happened when the call was offered to this bid: '' (never), won, or why not",
  })
  award!: string;
  @ApiProperty({ nullable: true, type: String }) expiresAt!: string | null;
  @ApiProperty({ nullable: true, type: Number }) requiredTalkSeconds!: number | null;
  @ApiProperty() at!: string;
}
