// Reports API for operators, publishers and buyers (each sees only its own rows): grouped reports, the
// call log, both as JSON or CSV, and the catalog of dimensions and metrics the caller may use.
import { Controller, Get, Header, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCookieAuth,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import { CurrentPrincipal, Roles } from '../accounts/auth.decorators';
import type { Principal } from '../accounts/principal';
import { CallLogResponseDto, CatalogResponseDto, ReportResponseDto } from './dto/reports.dto';
import { ReportsService } from './reports.service';

const RANGE_DOC = 'YYYY-MM-DD (a day in `tz`, `to` inclusive) or an ISO date-time; default: the last 7 days';

function ReportQueryDocs(): MethodDecorator {
  return (target, key, descriptor) => {
    const docs = [
      ApiQuery({
        name: 'groupBy',
        required: false,
        description:
          'Comma-separated: hour, day, week, month, campaign, publisher, buyer, target, tracking_number, utm_source, utm_medium, utm_campaign, utm_term, utm_content, landing_page, referrer, caller_state, state, attribution_method, tag.<name>',
      }),
      ApiQuery({
        name: 'metrics',
        required: false,
        description:
          'Comma-separated: calls, unique_callers, connected, converted, conversion_rate, revenue, payout, profit, revenue_per_call, payout_per_call, avg_talk_time, time_to_connect, duplicates, abandoned, blocked, no_target',
      }),
      ApiQuery({ name: 'from', required: false, description: RANGE_DOC }),
      ApiQuery({ name: 'to', required: false, description: RANGE_DOC }),
      ApiQuery({
        name: 'tz',
        required: false,
        description: 'IANA time zone of the date buckets and day bounds (default UTC)',
      }),
      ApiQuery({
        name: 'sort',
        required: false,
        description: 'A grouped dimension or requested metric; prefix - for descending',
      }),
      ApiQuery({
        name: 'limit',
        required: false,
        description: 'Rows (default 1000, at most 10000; CSV 100000)',
      }),
      ApiQuery({ name: 'totals', required: false, description: 'true: add the totals over all rows' }),
      ApiQuery({
        name: 'filter.<dimension>',
        required: false,
        description: 'Keep rows whose dimension equals the value; repeat for OR (ids, or "none")',
      }),
    ];
    for (const d of docs) d(target, key, descriptor);
  };
}

@ApiTags('reports')
@ApiBearerAuth()
@ApiCookieAuth()
@Roles('operator', 'publisher', 'buyer')
@Controller('reports')
export class ReportsController {
  constructor(private readonly reports: ReportsService) {}

  @Get()
  @ApiOperation({ summary: 'Calls grouped by any dimensions, with the chosen metrics' })
  @ApiOkResponse({ type: ReportResponseDto })
  @ReportQueryDocs()
  report(
    @CurrentPrincipal() p: Principal,
    @Query() raw: Record<string, unknown>,
  ): Promise<ReportResponseDto> {
    return this.reports.report(p, raw);
  }

  @Get('export.csv')
  @ApiOperation({ summary: 'The same report as CSV' })
  @ApiProduces('text/csv')
  @Header('content-type', 'text/csv; charset=utf-8')
  @Header('content-disposition', 'attachment; filename="report.csv"')
  @ReportQueryDocs()
  reportCsv(@CurrentPrincipal() p: Principal, @Query() raw: Record<string, unknown>): Promise<string> {
    return this.reports.reportCsv(p, raw);
  }

  @Get('calls')
  @ApiOperation({ summary: 'The call log (CDRs), newest first; the caller is masked for publishers' })
  @ApiQuery({ name: 'page', required: false })
  @ApiQuery({ name: 'limit', required: false, description: 'At most 500' })
  @ApiOkResponse({ type: CallLogResponseDto })
  callLog(
    @CurrentPrincipal() p: Principal,
    @Query() raw: Record<string, unknown>,
  ): Promise<CallLogResponseDto> {
    return this.reports.callLog(p, raw);
  }

  @Get('calls.csv')
  @ApiOperation({ summary: 'The call log as CSV (at most 10000 calls per request; use page)' })
  @ApiProduces('text/csv')
  @Header('content-type', 'text/csv; charset=utf-8')
  @Header('content-disposition', 'attachment; filename="calls.csv"')
  callLogCsv(@CurrentPrincipal() p: Principal, @Query() raw: Record<string, unknown>): Promise<string> {
    return this.reports.callLogCsv(p, raw);
  }

  @Get('catalog')
  @ApiOperation({ summary: 'The dimensions and metrics your role may use' })
  @ApiOkResponse({ type: CatalogResponseDto })
  catalog(@CurrentPrincipal() p: Principal): CatalogResponseDto {
    return this.reports.catalog(p.role);
  }
}
