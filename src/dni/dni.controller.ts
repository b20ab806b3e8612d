// The snippet script and its embed tag, and pool health for operators and publishers. The snippet's
// protocol itself is in dni.routes.ts.
import { Controller, Get, Header, Inject, Param, ParseUUIDPipe, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CurrentPrincipal, Public, Roles } from '../accounts/auth.decorators';
import type { Principal } from '../accounts/principal';
import { AppError } from '../common/errors';
import { projectRoot } from '../common/project-root';
import { APP_CONFIG, AppConfig } from '../infra/config/app-config';
import { NumbersService } from '../numbers/numbers.service';
import { CampaignsService } from '../campaigns/campaigns.service';
import { DniService } from './dni.service';
import { EmbedResponseDto, PoolHealthResponseDto } from './dto/dni.dto';

@ApiTags('dni')
@Controller()
export class DniController {
  private script?: { body: Buffer; etag: string };

  constructor(
    private readonly dni: DniService,
    private readonly numbers: NumbersService,
    private readonly campaigns: CampaignsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The snippet bundle, built by `npm run build` into dni-snippet/dist. */
  @Public()
  @Get('dni.js')
  @Header('content-type', 'application/javascript; charset=utf-8')
  serveScript(@Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Buffer | string {
    const script = this.loadScript();
    void reply
      .header('cache-control', 'public, max-age=300, stale-while-revalidate=86400')
      .header('etag', script.etag)
      .header('access-control-allow-origin', '*');
    if (req.headers['if-none-match'] === script.etag) {
      void reply.status(304);
      return '';
    }
    return script.body;
  }

  private loadScript(): { body: Buffer; etag: string } {
    if (this.script) return this.script;
    const file = join(projectRoot(), 'dni-snippet', 'dist', 'dni.min.js');
    if (!existsSync(file))
      throw new AppError(404, 'SNIPPET_NOT_BUILT', 'The DNI snippet is not built; run npm run build');
    const body = readFileSync(file);
    this.script = { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 20)}"` };
    return this.script;
  }

  /** The loader tag a marketer pastes into the landing page, filled in for this campaign. */
  @ApiBearerAuth()
  @Get('campaigns/:id/embed')
  async embed(
    @CurrentPrincipal() p: Principal,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<EmbedResponseDto> {
    const campaign = await this.campaigns.get(p.tenantId, id);
    const file = join(projectRoot(), 'dni-snippet', 'dist', 'loader.html');
    if (!existsSync(file))
      throw new AppError(404, 'SNIPPET_NOT_BUILT', 'The DNI snippet is not built; run npm run build');
    const html = readFileSync(file, 'utf8')
      .replace('"KEY"', JSON.stringify(campaign.publicKey))
      .replace('"ORIGIN"', JSON.stringify(this.config.publicBaseUrl));
    return { html, publicKey: campaign.publicKey, scriptUrl: `${this.config.publicBaseUrl}/dni.js` };
  }

  @ApiBearerAuth()
  @Roles('operator', 'publisher')
  @Get('pools/:id/health')
  async poolHealth(
    @CurrentPrincipal() p: Principal,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<PoolHealthResponseDto> {
    return this.dni.poolHealth(await this.numbers.getPool(p, id));
  }
}
