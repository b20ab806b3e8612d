// Buyers and their targets (static destination or ping/post spec), caps, schedules and filters.
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { BuyerEntity } from './buyer.entity';
import { BuyersController } from './buyers.controller';
import { BuyersRepository } from './buyers.repository';
import { BuyersService } from './buyers.service';
import { TargetEntity } from './target.entity';
import { TargetsController } from './targets.controller';

@Module({
  imports: [TypeOrmModule.forFeature([BuyerEntity, TargetEntity])],
  controllers: [BuyersController, TargetsController],
  providers: [BuyersRepository, BuyersService],
  exports: [BuyersService, BuyersRepository],
})
export class BuyersModule {}
