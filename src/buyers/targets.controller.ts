// /targets: every target of the tenant (filterable by buyer, campaign, kind, status) and one target
// by id. Created under /buyers/:buyerId/targets. Same role rules as /buyers.
import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCookieAuth,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { Page } from '../common/pagination';
import { CurrentPrincipal, Roles } from '../accounts/auth.decorators';
import type { Principal } from '../accounts/principal';
import { BuyersService } from './buyers.service';
import { TargetListQueryDto, TargetPageDto, TargetResponseDto, UpdateTargetDto } from './dto/target.dto';

@ApiTags('buyers')
@ApiBearerAuth()
@ApiCookieAuth()
@Controller('targets')
export class TargetsController {
  constructor(private readonly buyers: BuyersService) {}

  @Roles('operator', 'buyer')
  @Get()
  @ApiOperation({ summary: 'List targets (a buyer key sees only its own)' })
  @ApiOkResponse({ type: TargetPageDto })
  list(@CurrentPrincipal() p: Principal, @Query() q: TargetListQueryDto): Promise<Page<TargetResponseDto>> {
    return this.buyers.listTargets(p, q);
  }

  @Roles('operator', 'buyer')
  @Get(':id')
  @ApiOkResponse({ type: TargetResponseDto })
  get(@CurrentPrincipal() p: Principal, @Param('id', ParseUUIDPipe) id: string): Promise<TargetResponseDto> {
    return this.buyers.getTarget(p, id);
  }

  @Patch(':id')
  @ApiOperation({
    summary:
      'Change a target; fields sent replace the stored ones (ping, caps, schedule, filters as a whole)',
  })
  @ApiOkResponse({ type: TargetResponseDto })
  update(
    @CurrentPrincipal() p: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() dto: UpdateTargetDto,
  ): Promise<TargetResponseDto> {
    return this.buyers.updateTarget(p, id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Archive a target (kept for call history)' })
  @ApiNoContentResponse()
  async archive(@CurrentPrincipal() p: Principal, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    await this.buyers.archiveTarget(p, id);
  }
}
