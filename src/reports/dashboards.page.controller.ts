// Dashboard pages (Handlebars, session cookie from the login page): the operator overview, the publisher
// attribution view and the buyer view, plus the live-calls feed the overview refreshes from.
import { Controller, Get, Query, Redirect, Render, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { CurrentPrincipal, Public, Roles } from '../accounts/auth.decorators';
import type { Principal } from '../accounts/principal';
import { DashboardsService, pageFilters } from './dashboards.service';
import { LookupsRepository } from './lookups.repository';
import { PageExceptionFilter } from './page-exception.filter';

/** Only our own paths: no scheme, no protocol-relative `//host`. */
export function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/(?![/\\])[\x21-\x7e]*$/.test(next) ? next : '/dashboard';
}

function nav(p: Principal, active: string) {
  const items =
    p.role === 'operator'
      ? [
          { href: '/dashboard/overview', label: 'Overview', key: 'overview' },
          { href: '/dashboard/publisher', label: 'Publishers', key: 'publisher' },
          { href: '/dashboard/buyer', label: 'Buyers', key: 'buyer' },
        ]
      : [
          {
            href: `/dashboard/${p.role}`,
            label: p.role === 'publisher' ? 'Attribution' : 'Calls and bids',
            key: p.role,
          },
        ];
  return { items: items.map((i) => ({ ...i, active: i.key === active })), role: p.role };
}

@ApiExcludeController()
@UseFilters(PageExceptionFilter)
@Controller()
export class DashboardsPageController {
  constructor(
    private readonly dashboards: DashboardsService,
    private readonly lookups: LookupsRepository,
  ) {}

  @Public()
  @Get('login')
  @Render('login')
  login(@Query('next') next?: string) {
    return { title: 'Sign in', next: safeNext(next), bare: true };
  }

  @Roles('operator', 'publisher', 'buyer')
  @Get('dashboard')
  @Redirect('/dashboard/overview', 302)
  home(@CurrentPrincipal() p: Principal) {
    return { url: p.role === 'operator' ? '/dashboard/overview' : `/dashboard/${p.role}`, statusCode: 302 };
  }

  @Get('dashboard/overview')
  @Render('overview')
  async overview(@CurrentPrincipal() p: Principal, @Query() q: Record<string, unknown>) {
    return { ...(await this.dashboards.overview(p, pageFilters(q))), nav: nav(p, 'overview') };
  }

  @Roles('operator', 'publisher')
  @Get('dashboard/publisher')
  @Render('publisher')
  async publisher(@CurrentPrincipal() p: Principal, @Query() q: Record<string, unknown>) {
    const f = pageFilters(q);
    if (p.role === 'operator' && !f.publisher)
      f.publisher = (await this.lookups.all(p.tenantId, 'publisher', 1))[0]?.id;
    return { ...(await this.dashboards.publisher(p, f)), nav: nav(p, 'publisher') };
  }

  @Roles('operator', 'buyer')
  @Get('dashboard/buyer')
  @Render('buyer')
  async buyer(@CurrentPrincipal() p: Principal, @Query() q: Record<string, unknown>) {
    const f = pageFilters(q);
    if (p.role === 'operator' && !f.buyer) f.buyer = (await this.lookups.all(p.tenantId, 'buyer', 1))[0]?.id;
    return { ...(await this.dashboards.buyer(p, f)), nav: nav(p, 'buyer') };
  }

  @Get('dashboard/live.json')
  async live(@CurrentPrincipal() p: Principal, @Query() q: Record<string, unknown>) {
    return { items: await this.dashboards.liveCalls(p, pageFilters(q).tz) };
  }
}
