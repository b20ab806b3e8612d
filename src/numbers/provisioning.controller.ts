import { Body, Controller, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../accounts/auth.decorators';
import type { Principal } from '../accounts/principal';
import { toE164 } from '../common/phone';
import {
  ProvisionNumbersDto,
  ProvisionResultDto,
  ReleaseNumbersDto,
  ReleaseResultDto,
} from './dto/provisioning.dto';
import { toNumberDto } from './numbers.mapper';
import { ProvisioningService } from './provisioning.service';

@ApiTags('numbers')
@ApiBearerAuth()
@Controller('pools')
export class ProvisioningController {
  constructor(private readonly provisioning: ProvisioningService) {}

  /** Buys numbers from the carrier (search + order on the Call Control app) and adds them to the pool. */
  @Post(':id/provision')
  async provision(
    @CurrentPrincipal() p: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() dto: ProvisionNumbersDto,
  ): Promise<ProvisionResultDto> {
    const r = await this.provisioning.provision(p, id, dto);
    return { ...r, added: r.added.map(toNumberDto) };
  }

  /** Gives numbers back to the carrier and removes them from the pool. */
  @Post(':id/release')
  async release(
    @CurrentPrincipal() p: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() dto: ReleaseNumbersDto,
  ): Promise<ReleaseResultDto> {
    const numbers = [...new Set(dto.numbers.map((n) => toE164(n)!))];
    return { released: await this.provisioning.release(p, id, numbers) };
  }
}
