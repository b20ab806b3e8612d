import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../accounts/auth.decorators';
import type { Principal } from '../accounts/principal';
import { Page, PageQueryDto, pageWindow } from '../common/pagination';
import { toBlockedDto, toCallDto, toLiveCallDto } from './calls.mapper';
import { CallsService } from './calls.service';
import {
  BlockedNumberResponseDto,
  BlockNumberDto,
  CallQueryDto,
  CallResponseDto,
  LiveCallsResponseDto,
} from './dto/calls.dto';

@ApiTags('calls')
@ApiBearerAuth()
@Controller()
export class CallsController {
  constructor(private readonly calls: CallsService) {}

  @Get('calls/live')
  async live(@CurrentPrincipal() p: Principal): Promise<LiveCallsResponseDto> {
    const items = (await this.calls.liveCalls(p.tenantId)).map(toLiveCallDto);
    items.sort((a, b) => a.receivedAt.localeCompare(b.receivedAt));
    return { items, total: items.length };
  }

  @Get('calls')
  async list(@CurrentPrincipal() p: Principal, @Query() q: CallQueryDto): Promise<Page<CallResponseDto>> {
    const w = pageWindow(q);
    const [rows, total] = await this.calls.list(
      p.tenantId,
      { state: q.state, campaignId: q.campaignId },
      w.skip,
      w.take,
    );
    return { items: rows.map(toCallDto), page: w.page, limit: w.limit, total };
  }

  @Get('calls/:id')
  async get(
    @CurrentPrincipal() p: Principal,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<CallResponseDto> {
    return toCallDto(await this.calls.get(p.tenantId, id));
  }

  @Get('blocked-numbers')
  async blocked(
    @CurrentPrincipal() p: Principal,
    @Query() q: PageQueryDto,
  ): Promise<Page<BlockedNumberResponseDto>> {
    const w = pageWindow(q);
    const [rows, total] = await this.calls.listBlocked(p.tenantId, w.skip, w.take);
    return { items: rows.map(toBlockedDto), page: w.page, limit: w.limit, total };
  }

  @Post('blocked-numbers')
  async block(
    @CurrentPrincipal() p: Principal,
    @Body() dto: BlockNumberDto,
  ): Promise<BlockedNumberResponseDto> {
    return toBlockedDto(await this.calls.block(p.tenantId, dto.number, dto.reason ?? ''));
  }

  @Delete('blocked-numbers/:number')
  @HttpCode(204)
  async unblock(@CurrentPrincipal() p: Principal, @Param('number') number: string): Promise<void> {
    await this.calls.unblock(p.tenantId, number);
  }
}
