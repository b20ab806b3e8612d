import '@fastify/cookie';
import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Inject } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../infra/config/app-config';
import { Page, PageQueryDto, pageWindow } from '../common/pagination';
import { AccountsService } from './accounts.service';
import { toApiKeyDto, toUserDto } from './accounts.mapper';
import { CurrentPrincipal, Public, Roles } from './auth.decorators';
import { SESSION_COOKIE } from './auth.guard';
import {
  ApiKeyResponseDto,
  CreateApiKeyDto,
  CreateUserDto,
  CreatedApiKeyResponseDto,
  LoginDto,
  MeResponseDto,
  SetupDto,
  UserResponseDto,
} from './dto/accounts.dto';
import type { Principal } from './principal';

@ApiTags('accounts')
@ApiBearerAuth()
@ApiCookieAuth()
@Controller()
export class AccountsController {
  constructor(
    private readonly accounts: AccountsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** First-run setup: creates the first tenant and its operator; refused once a tenant exists. */
  @Public()
  @Post('setup')
  async setup(@Body() dto: SetupDto) {
    const { tenant, user } = await this.accounts.bootstrap(dto.tenantName, dto.email, dto.password);
    return { tenantId: tenant.id, user: toUserDto(user) };
  }

  @Public()
  @Post('auth/login')
  @HttpCode(200)
  async login(
    @Body() dto: LoginDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<MeResponseDto> {
    const { token, principal } = await this.accounts.login(dto.email, dto.password);
    void reply.setCookie(SESSION_COOKIE, token, {
      path: '/',
      httpOnly: true,
      sameSite: 'lax',
      secure: this.config.publicBaseUrl.startsWith('https:'),
      maxAge: this.config.sessionTtlSeconds,
    });
    return this.me(principal);
  }

  @Public()
  @Post('auth/logout')
  @HttpCode(204)
  async logout(@Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<void> {
    const token = (req as FastifyRequest & { cookies?: Record<string, string | undefined> }).cookies?.[
      SESSION_COOKIE
    ];
    if (token) await this.accounts.logout(token);
    void reply.clearCookie(SESSION_COOKIE, { path: '/' });
  }

  @Roles('operator', 'publisher', 'buyer')
  @Get('auth/me')
  me(@CurrentPrincipal() p: Principal): MeResponseDto {
    return { tenantId: p.tenantId, role: p.role, publisherId: p.publisherId, buyerId: p.buyerId, via: p.via };
  }

  @Get('users')
  async listUsers(@CurrentPrincipal() p: Principal): Promise<UserResponseDto[]> {
    return (await this.accounts.listUsers(p.tenantId)).map(toUserDto);
  }

  @Post('users')
  async createUser(@CurrentPrincipal() p: Principal, @Body() dto: CreateUserDto): Promise<UserResponseDto> {
    return toUserDto(await this.accounts.createUser(p.tenantId, dto));
  }

  @Get('api-keys')
  async listKeys(
    @CurrentPrincipal() p: Principal,
    @Query() q: PageQueryDto,
  ): Promise<Page<ApiKeyResponseDto>> {
    const w = pageWindow(q);
    const [rows, total] = await this.accounts.listApiKeys(p.tenantId, w.skip, w.take);
    return { items: rows.map(toApiKeyDto), page: w.page, limit: w.limit, total };
  }

  @Post('api-keys')
  async createKey(
    @CurrentPrincipal() p: Principal,
    @Body() dto: CreateApiKeyDto,
  ): Promise<CreatedApiKeyResponseDto> {
    const { key, secret } = await this.accounts.createApiKey(p.tenantId, dto);
    return { ...toApiKeyDto(key), key: secret };
  }

  @Delete('api-keys/:id')
  @HttpCode(204)
  async revokeKey(@CurrentPrincipal() p: Principal, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    await this.accounts.revokeApiKey(p.tenantId, id);
  }
}
