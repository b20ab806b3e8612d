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
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Roles } from '../accounts/auth.decorators';
import type { Principal } from '../accounts/principal';
import { Page, PageQueryDto, pageWindow } from '../common/pagination';
import {
  AddNumbersDto,
  CreatePoolDto,
  NumberResponseDto,
  PoolResponseDto,
  UpdateNumberDto,
  UpdatePoolDto,
} from './dto/numbers.dto';
import { toNumberDto, toPoolDto } from './numbers.mapper';
import { NumbersService } from './numbers.service';

@ApiTags('numbers')
@ApiBearerAuth()
@Controller()
export class NumbersController {
  constructor(private readonly numbers: NumbersService) {}

  @Post('pools')
  async createPool(@CurrentPrincipal() p: Principal, @Body() dto: CreatePoolDto): Promise<PoolResponseDto> {
    return toPoolDto(await this.numbers.createPool(p.tenantId, dto));
  }

  @Roles('operator', 'publisher')
  @Get('pools')
  async listPools(
    @CurrentPrincipal() p: Principal,
    @Query() q: PageQueryDto,
  ): Promise<Page<PoolResponseDto>> {
    const w = pageWindow(q);
    const [rows, total] = await this.numbers.listPools(p, w.skip, w.take);
    return { items: rows.map(toPoolDto), page: w.page, limit: w.limit, total };
  }

  @Roles('operator', 'publisher')
  @Get('pools/:id')
  async getPool(
    @CurrentPrincipal() p: Principal,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<PoolResponseDto> {
    return toPoolDto(await this.numbers.getPool(p, id));
  }

  @Patch('pools/:id')
  async updatePool(
    @CurrentPrincipal() p: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() dto: UpdatePoolDto,
  ): Promise<PoolResponseDto> {
    return toPoolDto(await this.numbers.updatePool(p, id, dto));
  }

  @Delete('pools/:id')
  @HttpCode(204)
  async deletePool(@CurrentPrincipal() p: Principal, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    await this.numbers.deletePool(p, id);
  }

  @Post('pools/:id/numbers')
  async addNumbers(
    @CurrentPrincipal() p: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() dto: AddNumbersDto,
  ): Promise<NumberResponseDto[]> {
    return (await this.numbers.addNumbers(p, id, dto)).map(toNumberDto);
  }

  @Roles('operator', 'publisher')
  @Get('pools/:id/numbers')
  async listNumbers(
    @CurrentPrincipal() p: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Query() q: PageQueryDto,
  ): Promise<Page<NumberResponseDto>> {
    const w = pageWindow(q);
    const [rows, total] = await this.numbers.listNumbers(p, id, w.skip, w.take);
    return { items: rows.map(toNumberDto), page: w.page, limit: w.limit, total };
  }

  @Patch('numbers/:id')
  async updateNumber(
    @CurrentPrincipal() p: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() dto: UpdateNumberDto,
  ): Promise<NumberResponseDto> {
    return toNumberDto(await this.numbers.updateNumber(p, id, dto));
  }

  @Delete('numbers/:id')
  @HttpCode(204)
  async deleteNumber(
    @CurrentPrincipal() p: Principal,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<void> {
    await this.numbers.deleteNumber(p, id);
  }
}
