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
import { CurrentPrincipal } from '../accounts/auth.decorators';
import type { Principal } from '../accounts/principal';
import { Page, PageQueryDto, pageWindow } from '../common/pagination';
import { toCampaignDto } from './campaigns.mapper';
import { CampaignsService } from './campaigns.service';
import { CampaignResponseDto, CreateCampaignDto, UpdateCampaignDto } from './dto/campaign.dto';

@ApiTags('campaigns')
@ApiBearerAuth()
@Controller('campaigns')
export class CampaignsController {
  constructor(private readonly campaigns: CampaignsService) {}

  @Post()
  async create(
    @CurrentPrincipal() p: Principal,
    @Body() dto: CreateCampaignDto,
  ): Promise<CampaignResponseDto> {
    return toCampaignDto(await this.campaigns.create(p.tenantId, dto));
  }

  @Get()
  async list(@CurrentPrincipal() p: Principal, @Query() q: PageQueryDto): Promise<Page<CampaignResponseDto>> {
    const w = pageWindow(q);
    const [rows, total] = await this.campaigns.list(p.tenantId, w.skip, w.take);
    return { items: rows.map(toCampaignDto), page: w.page, limit: w.limit, total };
  }

  @Get(':id')
  async get(
    @CurrentPrincipal() p: Principal,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<CampaignResponseDto> {
    return toCampaignDto(await this.campaigns.get(p.tenantId, id));
  }

  @Patch(':id')
  async update(
    @CurrentPrincipal() p: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() dto: UpdateCampaignDto,
  ): Promise<CampaignResponseDto> {
    return toCampaignDto(await this.campaigns.update(p.tenantId, id, dto));
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@CurrentPrincipal() p: Principal, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    await this.campaigns.remove(p.tenantId, id);
  }
}
