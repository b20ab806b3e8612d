// Bid figures per target and per buyer, and a target's bid log: GET /targets/:id/stats,
// GET /targets/:id/bids, GET /buyers/:buyerId/bid-stats. Operators and buyer keys (own targets only).
import { Controller, Get, Param, ParseUUIDPipe, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Roles } from '../accounts/auth.decorators';
import type { Principal } from '../accounts/principal';
import { BidStatsService } from './bid-stats.service';
import {
  BidLogEntryDto,
  BidLogQueryDto,
  BidStatsQueryDto,
  BuyerBidStatsDto,
  TargetBidStatsDto,
} from './dto/bid-stats.dto';

@ApiTags('auction')
@ApiBearerAuth()
@ApiCookieAuth()
@Controller()
export class BidStatsController {
  constructor(private readonly stats: BidStatsService) {}

  @Roles('operator', 'buyer')
  @Get('targets/:id/stats')
  @ApiOperation({ summary: 'Pings, bids, wins, timeouts, latency and win rate of a target' })
  @ApiOkResponse({ type: TargetBidStatsDto })
  targetStats(
    @CurrentPrincipal() p: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Query() q: BidStatsQueryDto,
  ): Promise<TargetBidStatsDto> {
    return this.stats.targetStats(p, id, q);
  }

  @Roles('operator', 'buyer')
  @Get('targets/:id/bids')
  @ApiOperation({ summary: "A target's bid log, newest first: every ping with its bid or reject reason" })
  @ApiOkResponse({ type: [BidLogEntryDto] })
  targetLog(
    @CurrentPrincipal() p: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Query() q: BidLogQueryDto,
  ): Promise<BidLogEntryDto[]> {
    return this.stats.targetLog(p, id, q);
  }

  @Roles('operator', 'buyer')
  @Get('buyers/:buyerId/bid-stats')
  @ApiOperation({ summary: "A buyer's bid figures, in total and per target" })
  @ApiOkResponse({ type: BuyerBidStatsDto })
  buyerStats(
    @CurrentPrincipal() p: Principal,
    @Param('buyerId', ParseUUIDPipe) id: string,
    @Query() q: BidStatsQueryDto,
  ): Promise<BuyerBidStatsDto> {
    return this.stats.buyerStats(p, id, q);
  }
}
