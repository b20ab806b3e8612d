// /buyers and /buyers/:buyerId/targets. Writes are operator-only; a buyer-role principal may read its
// own buyer and targets (anything else is a 404 for it); publishers get 403.
import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Patch,
  Post,
  Query,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCookieAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { Page } from '../common/pagination';
import { CurrentPrincipal, Roles } from '../accounts/auth.decorators';
import type { Principal } from '../accounts/principal';
import { BuyersService } from './buyers.service';
import {
  BuyerListQueryDto,
  BuyerPageDto,
  BuyerResponseDto,
  CreateBuyerDto,
  UpdateBuyerDto,
} from './dto/buyer.dto';
import { CreateTargetDto, TargetListQueryDto, TargetPageDto, TargetResponseDto } from './dto/target.dto';

@ApiTags('buyers')
@ApiBearerAuth()
@ApiCookieAuth()
@Controller('buyers')
export class BuyersController {
  constructor(private readonly buyers: BuyersService) {}

  @Roles('operator', 'buyer')
  @Get()
  @ApiOperation({ summary: 'List buyers (a buyer key sees only its own)' })
  @ApiOkResponse({ type: BuyerPageDto })
  list(@CurrentPrincipal() p: Principal, @Query() q: BuyerListQueryDto): Promise<Page<BuyerResponseDto>> {
    return this.buyers.listBuyers(p, q);
  }

  @Post()
  @ApiOperation({ summary: 'Create a buyer' })
  @ApiCreatedResponse({ type: BuyerResponseDto })
  create(@CurrentPrincipal() p: Principal, @Body() dto: CreateBuyerDto): Promise<BuyerResponseDto> {
    return this.buyers.createBuyer(p, dto);
  }

  @Roles('operator', 'buyer')
  @Get(':id')
  @ApiOkResponse({ type: BuyerResponseDto })
  get(@CurrentPrincipal() p: Principal, @Param('id', ParseUUIDPipe) id: string): Promise<BuyerResponseDto> {
    return this.buyers.getBuyer(p, id);
  }

  @Patch(':id')
  @ApiOkResponse({ type: BuyerResponseDto })
  update(
    @CurrentPrincipal() p: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() dto: UpdateBuyerDto,
  ): Promise<BuyerResponseDto> {
    return this.buyers.updateBuyer(p, id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Archive a buyer and its targets (records are kept for call history)' })
  @ApiNoContentResponse()
  async archive(@CurrentPrincipal() p: Principal, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    await this.buyers.archiveBuyer(p, id);
  }

  @Roles('operator', 'buyer')
  @Get(':buyerId/targets')
  @ApiOperation({ summary: "List a buyer's targets" })
  @ApiOkResponse({ type: TargetPageDto })
  listTargets(
    @CurrentPrincipal() p: Principal,
    @Param('buyerId', ParseUUIDPipe) buyerId: string,
    @Query() q: TargetListQueryDto,
  ): Promise<Page<TargetResponseDto>> {
    return this.buyers.listTargets(p, q, buyerId);
  }

  @Post(':buyerId/targets')
  @ApiOperation({ summary: 'Create a static or ping/post target for a buyer' })
  @ApiCreatedResponse({ type: TargetResponseDto })
  createTarget(
    @CurrentPrincipal() p: Principal,
    @Param('buyerId', ParseUUIDPipe) buyerId: string,
    @Body() dto: CreateTargetDto,
  ): Promise<TargetResponseDto> {
    return this.buyers.createTarget(p, buyerId, dto);
  }
}
