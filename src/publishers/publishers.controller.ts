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
import { CreatePublisherDto, PublisherResponseDto, UpdatePublisherDto } from './dto/publisher.dto';
import { toPublisherDto } from './publishers.mapper';
import { PublishersService } from './publishers.service';

@ApiTags('publishers')
@ApiBearerAuth()
@Controller('publishers')
export class PublishersController {
  constructor(private readonly publishers: PublishersService) {}

  @Post()
  async create(
    @CurrentPrincipal() p: Principal,
    @Body() dto: CreatePublisherDto,
  ): Promise<PublisherResponseDto> {
    return toPublisherDto(await this.publishers.create(p.tenantId, dto));
  }

  @Roles('operator', 'publisher')
  @Get()
  async list(
    @CurrentPrincipal() p: Principal,
    @Query() q: PageQueryDto,
  ): Promise<Page<PublisherResponseDto>> {
    const w = pageWindow(q);
    const [rows, total] = await this.publishers.list(p, w.skip, w.take);
    return { items: rows.map(toPublisherDto), page: w.page, limit: w.limit, total };
  }

  @Roles('operator', 'publisher')
  @Get(':id')
  async get(
    @CurrentPrincipal() p: Principal,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<PublisherResponseDto> {
    return toPublisherDto(await this.publishers.get(p, id));
  }

  @Patch(':id')
  async update(
    @CurrentPrincipal() p: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() dto: UpdatePublisherDto,
  ): Promise<PublisherResponseDto> {
    return toPublisherDto(await this.publishers.update(p, id, dto));
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@CurrentPrincipal() p: Principal, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    await this.publishers.remove(p.tenantId, id);
  }
}
