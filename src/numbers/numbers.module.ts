import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { NumberPoolEntity } from './number-pool.entity';
import { NumbersController } from './numbers.controller';
import { NumbersRepository } from './numbers.repository';
import { NumbersService } from './numbers.service';
import { TrackingNumberEntity } from './tracking-number.entity';

@Module({
  imports: [TypeOrmModule.forFeature([NumberPoolEntity, TrackingNumberEntity])],
  controllers: [NumbersController],
  providers: [NumbersRepository, NumbersService],
  exports: [NumbersService],
})
export class NumbersModule {}
