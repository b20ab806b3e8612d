// Pixels API (operators): CRUD, secret rotation and the delivery log.
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
import { ApiBearerAuth, ApiCookieAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../accounts/auth.decorators';
import type { Principal } from '../accounts/principal';
import { Page, PageQueryDto, pageWindow } from '../common/pagination';
import {
  CreatePixelDto,
  DeliveryQueryDto,
  DeliveryResponseDto,
  PixelResponseDto,
  PixelWithSecretResponseDto,
  UpdatePixelDto,
} from './dto/pixels.dto';
import { toDeliveryDto, toPixelDto, toPixelWithSecretDto } from './pixels.mapper';
import { PixelsService } from './pixels.service';

@ApiTags('pixels')
@ApiBearerAuth()
@ApiCookieAuth()
@Controller('pixels')
export class PixelsController {
  constructor(private readonly pixels: PixelsService) {}

  @Post()
  @ApiOperation({ summary: 'Create a pixel; the response carries its signing secret, shown this once' })
  async create(
    @CurrentPrincipal() p: Principal,
    @Body() dto: CreatePixelDto,
  ): Promise<PixelWithSecretResponseDto> {
    return toPixelWithSecretDto(await this.pixels.create(p.tenantId, dto));
  }

  @Get()
  async list(@CurrentPrincipal() p: Principal, @Query() q: PageQueryDto): Promise<Page<PixelResponseDto>> {
    const w = pageWindow(q);
    const [rows, total] = await this.pixels.list(p.tenantId, w.skip, w.take);
    return { items: rows.map(toPixelDto), page: w.page, limit: w.limit, total };
  }

  @Get('deliveries')
  @ApiOperation({ summary: 'The delivery log, newest first' })
  async deliveries(
    @CurrentPrincipal() p: Principal,
    @Query() q: DeliveryQueryDto,
  ): Promise<Page<DeliveryResponseDto>> {
    const w = pageWindow(q);
    const [rows, total] = await this.pixels.listDeliveries(
      p.tenantId,
      { pixelId: q.pixelId, callId: q.callId, status: q.status, event: q.event },
      w.skip,
      w.take,
    );
    return { items: rows.map(toDeliveryDto), page: w.page, limit: w.limit, total };
  }

  @Get(':id')
  async get(
    @CurrentPrincipal() p: Principal,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<PixelResponseDto> {
    return toPixelDto(await this.pixels.get(p.tenantId, id));
  }

  @Patch(':id')
  async update(
    @CurrentPrincipal() p: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() dto: UpdatePixelDto,
  ): Promise<PixelResponseDto> {
    return toPixelDto(await this.pixels.update(p.tenantId, id, dto));
  }

  @Post(':id/rotate-secret')
  @HttpCode(200)
  @ApiOperation({ summary: 'Replace the signing secret; the new one is shown this once' })
  async rotate(
    @CurrentPrincipal() p: Principal,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<PixelWithSecretResponseDto> {
    return toPixelWithSecretDto(await this.pixels.rotateSecret(p.tenantId, id));
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@CurrentPrincipal() p: Principal, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    await this.pixels.remove(p.tenantId, id);
  }
}
